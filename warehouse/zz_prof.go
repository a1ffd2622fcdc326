package warehouse

import "context"

// LakeInputsNow is a profiling aid (not committed).
func (w *Warehouse) LakeInputsNow(ctx context.Context) (string, int64, error) {
	s, err := lakeStateNow(ctx, w.db)
	return s.Inputs, s.Watermark, err
}
