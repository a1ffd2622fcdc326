package warehouse_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"wardstat/warehouse"
)

// TestResolveUnit: one resolver for every command's --ward (issue 16,
// trap 3): a code in any case, a name folded, a unit known only from
// its dossiers; an ambiguous name and an unknown code are typed errors
// carrying the candidates and the closest units.
func TestResolveUnit(t *testing.T) {
	ctx := context.Background()
	w := mustOpen(t)
	if err := w.ReplaceUnits(ctx, []warehouse.Unit{
		{Code: "000.11.27.H37", Name: "Xã Gia Hòa", District: "Huyện Gia Viễn", Province: "Tỉnh Ninh Bình"},
		{Code: "000.12.27.H37", Name: "Xã Gia Hưng", District: "Huyện Gia Viễn", Province: "Tỉnh Ninh Bình"},
		{Code: "000.17.27.H37", Name: "Phường Nam Bình", District: "Thành phố Hoa Lư", Province: "Tỉnh Ninh Bình"},
		{Code: "000.40.01.H01", Name: "Phường Nam Bình", District: "Quận Khác", Province: "Tỉnh Khác"},
		{Code: "000.18.27.H37", Name: "Xã Ninh Khánh", Province: "Tỉnh Ninh Bình", ValidTo: "2025-06-30"},
		{Code: "000.18.27.H37", Name: "Phường Ninh Khánh", Province: "Tỉnh Ninh Bình", ValidFrom: "2025-07-01"},
	}); err != nil {
		t.Fatal(err)
	}
	for given, want := range map[string]string{
		"000.11.27.H37": "000.11.27.H37", "000.11.27.h37": "000.11.27.H37",
		"Xã Gia Hòa": "000.11.27.H37", "gia hoa": "000.11.27.H37", "XA GIA HUNG": "000.12.27.H37", "UBND xã Gia Hưng": "000.12.27.H37",
		"xa ninh khanh": "000.18.27.H37", "Phường Ninh Khánh": "000.18.27.H37",
	} {
		res, err := w.ResolveUnit(ctx, given)
		if err != nil || res.Unit.Code != want {
			t.Errorf("%q: %v, %v; want %s", given, res.Unit, err, want)
		}
	}
	_, err := w.ResolveUnit(ctx, "nam binh")
	var amb *warehouse.AmbiguousUnitError
	if !errors.As(err, &amb) || len(amb.Candidates) != 2 {
		t.Errorf("a name two units share: %v", err)
	}
	_, err = w.ResolveUnit(ctx, "000.13.27.H37")
	var unk *warehouse.UnknownUnitError
	if !errors.As(err, &unk) || len(unk.Closest) != 3 || !strings.HasSuffix(unk.Closest[0].Code, ".27.H37") {
		t.Errorf("an unknown code: %v", err)
	}
	_, err = w.ResolveUnit(ctx, "Gia")
	if !errors.As(err, &unk) || len(unk.Closest) < 2 || !strings.HasPrefix(unk.Closest[0].Name, "Xã Gia") || !strings.HasPrefix(unk.Closest[1].Name, "Xã Gia") {
		t.Errorf("a part of a name: the units whose names hold it come first: %v", err)
	}
	for code, shaped := range map[string]bool{"000.31.09.H26": true, "H56.14": true, "g09.20": true, "K01": true, "ward seven": false, "123": false, "Phường Một": false} {
		if warehouse.LooksLikeUnitCode(code) != shaped {
			t.Errorf("LooksLikeUnitCode(%q) = %v", code, !shaped)
		}
	}
}
