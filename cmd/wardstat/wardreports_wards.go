package main

import (
	"context"
	"errors"
	"fmt"

	"wardstat/warehouse"
)

// resolveReportWards turns each ward a reported form names (its ward_code
// cell, or --ward) into the code the warehouse keeps, as ingest's --ward
// does: a known code in any case (h01.01 is H01.01), a registry name, any
// of a unit's names. A value no known unit answers to is kept as given,
// with one warning line per value: its form will show no_dossiers until
// the ward's export is loaded. A name several units answer to is refused.
func (a *app) resolveReportWards(ctx context.Context, w *warehouse.Warehouse, path, flagWard string, reports []warehouse.WardReport) error {
	resolved := map[string]string{}
	for i, r := range reports {
		code, done := resolved[r.Ward]
		if !done {
			var err error
			if code, err = a.resolveReportWard(ctx, w, path, flagWard, r); err != nil {
				return err
			}
			resolved[r.Ward] = code
		}
		reports[i].Ward = code
	}
	return nil
}

func (a *app) resolveReportWard(ctx context.Context, w *warehouse.Warehouse, path, flagWard string, r warehouse.WardReport) (string, error) {
	if r.Ward == flagWard {
		return a.loadWard(ctx, w, flagWard)
	}
	res, err := w.ResolveUnit(ctx, r.Ward)
	var unknown *warehouse.UnknownUnitError
	switch {
	case errors.As(err, &unknown):
		closest := ""
		if len(unknown.Closest) > 0 {
			closest = a.t("; gần nhất: ", "; closest: ") + unitRefs(unknown.Closest)
		}
		fmt.Fprintf(a.stderr, a.t("cảnh báo: %s, dòng %d, cột ward_code: %q không phải đơn vị nào kho biết (danh mục hay hồ sơ)%s; biểu vẫn được nạp với mã này và sẽ là no_dossiers tới khi nạp tệp xuất của đơn vị; nếu nhầm, sửa ô rồi nạp lại\n",
			"warning: %s, row %d, column ward_code: %q is no unit the warehouse knows (registry or dossiers)%s; the form is loaded under it and shows no_dossiers until the ward's export is loaded; if it is a mistake, correct the cell and import again\n"),
			path, r.SourceLine, r.Ward, closest)
		return r.Ward, nil
	case err != nil:
		return "", a.unitError(fmt.Sprintf(a.t("%s, dòng %d, cột ward_code", "%s, row %d, column ward_code"), path, r.SourceLine), err)
	}
	if res.ByName {
		fmt.Fprintf(a.stderr, a.t("(%s: %q là đơn vị %s)\n", "(%s: %q is unit %s)\n"), path, r.Ward, res.Unit)
	}
	return res.Unit.Code, nil
}
