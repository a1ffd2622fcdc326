package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// UnitRef is a unit the warehouse knows: from the registry (with its
// latest name and district), or only from its dossiers (no name).
type UnitRef struct {
	Code, Name, District string
}

// UnknownUnitError is a ward given on the command line that is neither a
// known code (in any case) nor a registry name; Closest are the known
// units nearest to it, best first (none when the warehouse knows none).
type UnknownUnitError struct {
	Given   string
	Closest []UnitRef
}

func (e *UnknownUnitError) Error() string {
	return fmt.Sprintf("no unit has the code or name %q (closest: %s)", e.Given, unitList(e.Closest))
}

// AmbiguousUnitError is a name (or a code in another case) that more than
// one unit answers to.
type AmbiguousUnitError struct {
	Given      string
	Candidates []UnitRef
}

func (e *AmbiguousUnitError) Error() string {
	return fmt.Sprintf("%q names several units: %s", e.Given, unitList(e.Candidates))
}

func unitList(us []UnitRef) string {
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = u.String()
	}
	return strings.Join(parts, ", ")
}

// String is the code, with the name and district when known:
// "H01.01 (Phường Một, Quận Một)".
func (u UnitRef) String() string {
	var extra []string
	for _, s := range []string{u.Name, u.District} {
		if s != "" {
			extra = append(extra, s)
		}
	}
	if len(extra) == 0 {
		return u.Code
	}
	return u.Code + " (" + strings.Join(extra, ", ") + ")"
}

// unitCodeShape is a unit code as QCVN 102:2016 writes it
// (000.31.09.H26) or as newer systems do (H56.14, G09.20), or a
// province's or ministry's own (H26).
var unitCodeShape = regexp.MustCompile(`(?i)^(\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}|[A-Z]\d{2}(\.\d{1,3}){0,3})$`)

// LooksLikeUnitCode says whether s is shaped like a unit code.
func LooksLikeUnitCode(s string) bool { return unitCodeShape.MatchString(strings.TrimSpace(s)) }

// UnitResolution is what ResolveUnit made of what was given.
type UnitResolution struct {
	Unit UnitRef
	// ByName is true when the unit was found by its name, not its code.
	ByName bool
}

// ResolveUnit finds the one unit a command-line filter names, the same way
// for every command: a known code as given, else in any case (h01.01 is
// H01.01); else a registry name, with or without diacritics and with or
// without "Phường", "Xã", "UBND"… (folded by ws_unit_key, the rule the
// loads use for files that name their wards), any of the names a unit
// had over time. Known units are the registry's and those the dossiers
// name. A name or code that several units answer to is an
// *AmbiguousUnitError; one that none does an *UnknownUnitError naming the
// closest known units (by prefix, then edit distance on the code and on
// the name).
func (w *Warehouse) ResolveUnit(ctx context.Context, given string) (UnitResolution, error) {
	given = strings.TrimSpace(given)
	units, err := w.knownUnits(ctx)
	if err != nil {
		return UnitResolution{}, err
	}
	for _, u := range units {
		if u.Code == given {
			return UnitResolution{Unit: u.UnitRef}, nil
		}
	}
	var same []UnitRef
	for _, u := range units {
		if strings.EqualFold(u.Code, given) {
			same = append(same, u.UnitRef)
		}
	}
	switch {
	case len(same) == 1:
		return UnitResolution{Unit: same[0]}, nil
	case len(same) > 1:
		return UnitResolution{}, &AmbiguousUnitError{Given: given, Candidates: same}
	}
	var key string
	if err := w.db.QueryRowContext(ctx, `SELECT coalesce(ws_unit_key(?), '')`, given).Scan(&key); err != nil {
		return UnitResolution{}, fmt.Errorf("folding %q: %w", given, err)
	}
	key = unpadNumbers(key)
	var named []UnitRef
	if key != "" {
		for _, u := range units {
			for _, k := range u.keys {
				if k == key {
					named = append(named, u.UnitRef)
					break
				}
			}
		}
	}
	switch {
	case len(named) == 1:
		return UnitResolution{Unit: named[0], ByName: true}, nil
	case len(named) > 1:
		return UnitResolution{}, &AmbiguousUnitError{Given: given, Candidates: named}
	}
	return UnitResolution{}, &UnknownUnitError{Given: given, Closest: closestUnits(units, given, key, 3)}
}

// knownUnit is a unit with the folded keys of every name it had.
type knownUnit struct {
	UnitRef
	keys []string
}

func (w *Warehouse) knownUnits(ctx context.Context) ([]knownUnit, error) {
	rows, err := w.db.QueryContext(ctx, `
		SELECT code,
		       arg_max({'name': name, 'district': district}, coalesce(valid_from, DATE '1900-01-01')).name,
		       coalesce(arg_max({'name': name, 'district': district}, coalesce(valid_from, DATE '1900-01-01')).district, ''),
		       list(DISTINCT ws_unit_key(name))
		FROM units GROUP BY code
		UNION ALL
		SELECT ward_code, '', '', []::VARCHAR[]
		FROM (SELECT DISTINCT ward_code FROM dossiers)
		WHERE ward_code NOT IN (SELECT code FROM units)
		ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("reading the known units: %w", err)
	}
	defer rows.Close()
	var out []knownUnit
	for rows.Next() {
		var u knownUnit
		var keys []any
		if err := rows.Scan(&u.Code, &u.Name, &u.District, &keys); err != nil {
			return nil, err
		}
		for _, k := range keys {
			if s, ok := k.(string); ok && s != "" {
				u.keys = append(u.keys, unpadNumbers(s))
			}
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// closestUnits ranks the known units by how near they are to what was
// given: a code or name starting with it (or it with the code) first, then
// the smaller edit distance on the code (any case) or on the folded name.
func closestUnits(units []knownUnit, given, key string, n int) []UnitRef {
	type scored struct {
		u     UnitRef
		score int
	}
	g := strings.ToLower(given)
	var all []scored
	for _, u := range units {
		c := strings.ToLower(u.Code)
		best := levenshtein(g, c)
		if g != "" && (strings.HasPrefix(c, g) || strings.HasPrefix(g, c)) {
			best = 0
		}
		for _, k := range u.keys {
			d := levenshtein(key, k)
			if key != "" && (strings.HasPrefix(k, key) || strings.Contains(k, key)) {
				d = 0
			}
			best = min(best, d)
		}
		all = append(all, scored{u.UnitRef, best})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].score < all[j].score })
	var out []UnitRef
	for i := 0; i < len(all) && i < n; i++ {
		out = append(out, all[i].u)
	}
	return out
}

// levenshtein is the edit distance between two texts, in characters.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// leadingZeros are the zeros a number in a name may be padded with
// ("Phường 01" is "Phường 1").
var leadingZeros = regexp.MustCompile(`\b0+(\d)`)

// unpadNumbers drops the zeros numbers in a folded name are padded with.
func unpadNumbers(key string) string { return leadingZeros.ReplaceAllString(key, "$1") }

// UnitIn is a unit as the registry had it in a period [from, to]: the
// name and district of its latest registry row valid in the period (both
// from the same row, so a renamed unit is never shown under its new name
// beside the district it left). ok is false when no registry row is valid
// in the period.
func (w *Warehouse) UnitIn(ctx context.Context, code string, from, to time.Time) (UnitRef, bool, error) {
	u := UnitRef{Code: code}
	err := w.db.QueryRowContext(ctx, `
		SELECT coalesce(name, ''), coalesce(district, '') FROM units
		WHERE code = ? AND coalesce(valid_from, DATE '1900-01-01') <= ?::DATE
		  AND coalesce(valid_to, DATE '9999-12-31') >= ?::DATE
		ORDER BY coalesce(valid_from, DATE '1900-01-01') DESC LIMIT 1`,
		code, to.Format(time.DateOnly), from.Format(time.DateOnly)).Scan(&u.Name, &u.District)
	if errors.Is(err, sql.ErrNoRows) {
		return u, false, nil
	}
	if err != nil {
		return u, false, fmt.Errorf("reading unit %s: %w", code, err)
	}
	return u, true, nil
}
