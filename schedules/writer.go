package schedules

import (
	"context"
	"fmt"
)

// The daemon writes to the warehouse from many goroutines: loads, the
// ledger's rows and the sources' HTTP validators. DuckDB lets them run
// together, but a CHECKPOINT (which every publish needs) fails while
// another transaction has updated a row or taken a sequence number
// ("there are other write transactions active"). So every write goes
// through one gate: it holds the runner's writes lock shared, and a
// publish holds it alone, waiting for the running writes to end and
// keeping new ones out until the snapshot is copied. Loads and jobs are
// still one at a time among themselves (Runner.mu), and are taken before
// the gate, never after: mu, then writes. Reads never take it: DuckDB's
// CHECKPOINT runs beside open reads. See DESIGN.md, "One writer".

// writing holds the writer gate for one write; call the result when the
// write has committed or rolled back: defer l.writing()().
func (l ledger) writing() func() {
	if l.gate == nil {
		return func() {}
	}
	l.gate.RLock()
	return l.gate.RUnlock
}

// writing holds the runner's writer gate for one write (a load, the unit
// registry); call the result when it has committed or rolled back.
func (r *Runner) writing() func() { return r.ledger.writing() }

// publish writes the analysts' snapshot, holding the writer gate alone:
// the CHECKPOINT waits for the running ledger writes instead of failing
// on them. The caller holds r.mu.
func (r *Runner) publish(ctx context.Context) error {
	gid, err := r.cfg.PublishGID()
	if err != nil {
		return fmt.Errorf("publish_group %q: %w", r.cfg.PublishGroup, err)
	}
	r.writes.Lock()
	defer r.writes.Unlock()
	return r.wh.Publish(ctx, r.cfg.Publish, gid)
}
