package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"wardstat/warehouse"
)

// The filters every command takes (a ward, a period) are resolved here,
// the same way for all of them: the unit through warehouse.ResolveUnit,
// the period against today.

// resolveWard turns a --ward filter into the code of the one unit it names
// (a code in any case, or a registry name with or without diacritics), or
// an error listing the candidates or the closest known codes. flag names
// the option in messages ("--ward").
func (a *app) resolveWard(ctx context.Context, w *warehouse.Warehouse, flag, given string) (string, error) {
	return a.resolveWardIn(ctx, w, flag, given, time.Time{}, time.Time{})
}

// resolveWardIn is resolveWard for a period [from, to]: the note saying
// which unit was found shows its name and district as they were in the
// period (zero times: as the registry has them last).
func (a *app) resolveWardIn(ctx context.Context, w *warehouse.Warehouse, flag, given string, from, to time.Time) (string, error) {
	if strings.TrimSpace(given) == "" {
		return "", nil
	}
	res, err := w.ResolveUnit(ctx, given)
	if err != nil {
		return "", a.unitError(flag, err)
	}
	if res.ByName || res.Unit.Code != strings.TrimSpace(given) {
		unit := res.Unit
		if !from.IsZero() {
			if u, ok, err := w.UnitIn(ctx, unit.Code, from, to); err != nil {
				return "", err
			} else if ok {
				unit = u
			}
		}
		fmt.Fprintf(a.stderr, a.t("(%s %q: đơn vị %s)\n", "(%s %q: unit %s)\n"), flag, given, unit)
	}
	return res.Unit.Code, nil
}

// checkWardGiven refuses a --ward given empty or blank (--ward "",
// --ward " "), which would otherwise mean every ward: set says whether
// the flag was on the command line.
func (a *app) checkWardGiven(flag string, set bool, given string) error {
	if set && strings.TrimSpace(given) == "" {
		return usageError{fmt.Errorf(a.t("%s trống: hãy ghi mã hoặc tên một đơn vị (xem: wardstat units list), hoặc bỏ %s để lấy mọi đơn vị",
			"%s is empty: give a unit's code or name (see: wardstat units list), or leave out %s for every unit"), flag, flag)}
	}
	return nil
}

// unitError says in one line why a unit filter matched no single unit.
func (a *app) unitError(flag string, err error) error {
	var unknown *warehouse.UnknownUnitError
	var ambiguous *warehouse.AmbiguousUnitError
	switch {
	case errors.As(err, &unknown) && len(unknown.Closest) == 0:
		return usageError{fmt.Errorf(a.t("%s %q: kho chưa biết đơn vị nào (chưa nạp danh mục đơn vị hay hồ sơ nào); hãy nạp trước: wardstat units import units.csv hoặc wardstat ingest TỆP",
			"%s %q: the warehouse knows no unit yet (no registry, no dossiers); load them first: wardstat units import units.csv or wardstat ingest FILE"), flag, unknown.Given)}
	case errors.As(err, &unknown):
		return usageError{fmt.Errorf(a.t("%s %q: không có đơn vị nào có mã hay tên này; gần nhất: %s; xem danh sách: wardstat units list",
			"%s %q: no unit has this code or name; closest: %s; see them all: wardstat units list"), flag, unknown.Given, unitRefs(unknown.Closest))}
	case errors.As(err, &ambiguous):
		return usageError{fmt.Errorf(a.t("%s %q: nhiều đơn vị trùng tên này: %s; hãy ghi mã đơn vị, ví dụ %s %s",
			"%s %q: several units answer to this: %s; give the unit's code, e.g. %s %s"), flag, ambiguous.Given, unitRefs(ambiguous.Candidates), flag, ambiguous.Candidates[0].Code)}
	}
	return err
}

func unitRefs(us []warehouse.UnitRef) string {
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = u.String()
	}
	return strings.Join(parts, "; ")
}

// loadWard is ingest's (and ward-reports import's) --ward: the code stored
// with rows whose file names no unit. A code the registry has in another
// case, or a registry name, becomes the registry's code (said on standard
// error); an ambiguous name is refused. A code the warehouse does not know
// is kept (a new ward may load before its registry row), with a warning
// when it is not even shaped like a unit code (000.31.09.H26, H56.14).
func (a *app) loadWard(ctx context.Context, w *warehouse.Warehouse, given string) (string, error) {
	given = strings.TrimSpace(given)
	if given == "" {
		return "", nil
	}
	if given == "MÃ_ĐƠN_VỊ" || given == "UNIT_CODE" || given == "MÃ" || given == "CODE" {
		// The placeholder of a hint, pasted as it was printed.
		return "", usageError{fmt.Errorf(a.t("--ward %s là chỗ để điền: hãy thay bằng mã đơn vị của tệp (xem: %s units list)",
			"--ward %s is a placeholder: put the file's unit code in its place (see: %s units list)"), given, a.self())}
	}
	res, err := w.ResolveUnit(ctx, given)
	var unknown *warehouse.UnknownUnitError
	switch {
	case errors.As(err, &unknown):
		if !warehouse.LooksLikeUnitCode(given) {
			closest := ""
			if len(unknown.Closest) > 0 {
				closest = a.t("; gần nhất: ", "; closest: ") + unitRefs(unknown.Closest)
			}
			fmt.Fprintf(a.stderr, a.t("cảnh báo: --ward %q không có trong danh mục đơn vị và không có dạng mã đơn vị (như 000.31.09.H26 hoặc H56.14)%s; vẫn nạp với mã này; nếu nhầm, xem: wardstat units list\n",
				"warning: --ward %q is not in the unit registry and not shaped like a unit code (such as 000.31.09.H26 or H56.14)%s; loading with it anyway; if it is a mistake, see: wardstat units list\n"), given, closest)
		}
		return given, nil
	case err != nil:
		return "", a.unitError("--ward", err)
	}
	if res.Unit.Code != given {
		fmt.Fprintf(a.stderr, a.t("(--ward %q: đơn vị %s)\n", "(--ward %q: unit %s)\n"), given, res.Unit)
	}
	return res.Unit.Code, nil
}

// periodAsOfToday refuses a period that lies wholly after today (nothing
// can have happened in it) and reports one that ends after today as of
// today: its end becomes today, so that a dossier still open is judged
// against today (overdue when due before today), as a ward counting by
// hand today would. It says so on standard error and returns the end to
// report and whether it was moved.
func (a *app) periodAsOfToday(from, to, today time.Time) (time.Time, bool, error) {
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	from, to, today = day(from), day(to), day(today)
	switch {
	case from.After(today):
		last := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
		return to, false, usageError{fmt.Errorf(a.t("kỳ %s–%s nằm hoàn toàn sau hôm nay (%s): chưa có hồ sơ nào; hãy chọn một kỳ đã qua, ví dụ --month %s",
			"the period %s–%s lies wholly after today (%s): no dossier can be in it; pick a past period, e.g. --month %s"),
			from.Format("02/01/2006"), to.Format("02/01/2006"), today.Format("02/01/2006"), last.Format("2006-01"))}
	case to.After(today):
		fmt.Fprintf(a.stderr, a.t("lưu ý: kỳ %s–%s chưa kết thúc; báo cáo tính đến hôm nay: %s–%s (hồ sơ đang giải quyết quá hạn khi hạn trước hôm nay)\n",
			"note: the period %s–%s has not ended; reported as of today: %s–%s (a dossier still open is overdue when due before today)\n"),
			from.Format("02/01/2006"), to.Format("02/01/2006"), from.Format("02/01/2006"), today.Format("02/01/2006"))
		return today, true, nil
	}
	return to, false, nil
}
