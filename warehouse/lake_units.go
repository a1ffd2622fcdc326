package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
)

// UnitConflict is a unit code whose rows differ between the registries of
// several lakes (its name, district, province or dates): the federation
// counts it with Lakes[0]'s (unitChoice), the others' are left out.
type UnitConflict struct {
	Code  string
	Lakes []string // the lakes whose registries hold the code, the one used first
}

// provinceCodeOf is the province code inside the unit code in col, as the
// lake's partitions have it (lakeProvince): H37 in 000.11.27.H37.
func provinceCodeOf(col string) string {
	return strings.ReplaceAll(lakeProvince, "ward_code", col)
}

// lakeUnitRank are the columns a lake's unit rows carry into unitChoice:
// the lake's name and its claim to the code: 0 when its dossiers hold
// the ward (known for the provinces another lake holds too, wardsIn),
// 1 when they hold the code's province, else 2.
func lakeUnitRank(info LakeInfo) string {
	quote := func(list []string) string {
		q := make([]string, len(list))
		for i, s := range list {
			q[i] = "'" + escape(s) + "'"
		}
		return strings.Join(q, ", ")
	}
	var wards []string
	for _, w := range info.wards {
		wards = append(wards, w...)
	}
	sort.Strings(wards)
	pref := "CASE"
	if len(wards) > 0 {
		pref += fmt.Sprintf(" WHEN code IN (%s) THEN 0", quote(wards))
	}
	if len(info.Provinces) > 0 {
		pref += fmt.Sprintf(" WHEN %s IN (%s) THEN 1", provinceCodeOf("code"), quote(info.Provinces))
	}
	pref += " ELSE 2 END"
	return fmt.Sprintf("'%s' AS lake_name, %s AS lake_pref", escape(info.Name), pref)
}

// sharedWards reads, for each province two of the lakes hold, the wards
// each holds there (wardsIn), for lakeUnitRank.
func sharedWards(ctx context.Context, db *sql.DB, lakes []LakeInfo) error {
	for i := range lakes {
		for j := i + 1; j < len(lakes); j++ {
			for _, p := range lakes[i].Provinces {
				if !contains(lakes[j].Provinces, p) {
					continue
				}
				if _, err := lakes[i].wardsIn(ctx, db, p); err != nil {
					return err
				}
				if _, err := lakes[j].wardsIn(ctx, db, p); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// unitChoice keeps, of the unit rows of every lake (the relation rows,
// each with lakeUnitRank's columns and valid_from), each code's rows from
// one lake only: the lake holding the ward's dossiers, else the one
// holding the code's province, else the one whose rows for it are the newest
// (valid_from), else the first by name. The same registry given to every
// node is one lake's rows; registries that disagree give one answer,
// whatever the order the lakes were attached in.
func unitChoice(rows string) string {
	return fmt.Sprintf(`SELECT * EXCLUDE (lake_name, lake_pref, lake_newest) FROM (
    SELECT *, max(valid_from) OVER (PARTITION BY code, lake_name) AS lake_newest FROM (%s)
) QUALIFY lake_name = first_value(lake_name) OVER (PARTITION BY code ORDER BY lake_pref, lake_newest DESC NULLS LAST, lake_name)`, rows)
}

// UnitConflicts are the unit codes whose rows differ between the lakes'
// registries (read from their units files), each with the lakes holding
// it, the one the federation uses first (unitChoice). Only codes held by
// two lakes or more can conflict; a registry lacking a code does not.
func UnitConflicts(ctx context.Context, lakes []LakeInfo) ([]UnitConflict, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return unitConflictsOn(ctx, db, lakes)
}

func unitConflictsOn(ctx context.Context, db *sql.DB, lakes []LakeInfo) ([]UnitConflict, error) {
	lakes = append([]LakeInfo(nil), lakes...)
	if err := sharedWards(ctx, db, lakes); err != nil {
		return nil, err
	}
	var parts []string
	for _, l := range lakes {
		if len(l.Files["units"]) == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf(`SELECT %s, code, name, district, province_name, valid_from, valid_to FROM read_parquet(%s)`,
			lakeUnitRank(l), fileList(l.Files["units"])))
	}
	if len(parts) < 2 {
		return nil, nil
	}
	rows, err := db.QueryContext(ctx, fmt.Sprintf(`WITH u AS (%s),
per_lake AS (
    SELECT code, lake_name, min(lake_pref) AS lake_pref, max(valid_from) AS newest,
           md5(list((name, district, province_name, valid_from, valid_to) ORDER BY valid_from, name, district, province_name, valid_to)::VARCHAR) AS sig
    FROM u GROUP BY code, lake_name
)
SELECT code, list(lake_name ORDER BY lake_pref, newest DESC NULLS LAST, lake_name)
FROM per_lake GROUP BY code HAVING count(DISTINCT sig) > 1 ORDER BY code`, strings.Join(parts, "\nUNION ALL\n")))
	if err != nil {
		return nil, fmt.Errorf("comparing the lakes' unit registries: %w", err)
	}
	defer rows.Close()
	var out []UnitConflict
	for rows.Next() {
		var c UnitConflict
		var lakes []any
		if err := rows.Scan(&c.Code, &lakes); err != nil {
			return nil, err
		}
		for _, l := range lakes {
			c.Lakes = append(c.Lakes, fmt.Sprint(l))
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ConflictGroups groups conflicts by the lakes they are between (in the
// order used): for a warning per group, codes sorted.
func ConflictGroups(cs []UnitConflict) (keys [][]string, codes map[string][]string) {
	codes = map[string][]string{}
	for _, c := range cs {
		k := strings.Join(c.Lakes, ",")
		if _, ok := codes[k]; !ok {
			keys = append(keys, c.Lakes)
		}
		codes[k] = append(codes[k], c.Code)
	}
	sort.Slice(keys, func(i, j int) bool { return strings.Join(keys[i], ",") < strings.Join(keys[j], ",") })
	return keys, codes
}
