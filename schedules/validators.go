package schedules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// An HTTP source's validators (ETag, Last-Modified) let the next pull ask
// "has it changed?" and skip an export answered 304. They are worth that
// only if the export they stand for is in the warehouse, loaded the way
// the configuration now says: so they are kept only after the download's
// load committed (every sheet of a workbook), forgotten when it failed,
// and kept beside a fingerprint of the configuration; a pull whose
// fingerprint differs sends no conditional request.

// validatorFingerprint is what decides what a pull of src over [from, to]
// downloads and how its load reads it: the URL as requested (secrets
// redacted: a new token is the same resource), the headers as configured
// (before $VAR expansion, so no secret is hashed), the reading options and
// the pagination. Its sha256, in hex.
func validatorFingerprint(src *Source, from, to time.Time) string {
	b, _ := json.Marshal(struct {
		Version    int               `json:"v"`
		URL        string            `json:"url"`
		Headers    map[string]string `json:"headers,omitempty"`
		TokenEnv   string            `json:"token_env,omitempty"`
		Ward       string            `json:"ward,omitempty"`
		Format     string            `json:"format,omitempty"`
		Sheet      string            `json:"sheet,omitempty"`
		Map        map[string]string `json:"map,omitempty"`
		Pagination *Pagination       `json:"pagination,omitempty"`
	}{1, redact(window(src, from, to)), src.Headers, src.TokenEnv, src.Ward, src.Format, src.Sheet, src.Map, src.Pagination})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// conditional is what a pull sends as If-None-Match/If-Modified-Since:
// the saved validators when they were saved under the same fingerprint,
// nothing otherwise (nor for a paginated API, whose pages are each asked
// whole: a 304 on the first page would say nothing of the others).
func conditional(src *Source, saved *sourceState, fingerprint string) *sourceState {
	if saved == nil || src.Pagination != nil || saved.Fingerprint != fingerprint {
		return nil
	}
	return saved
}

// keepValidators records what the next pull of src may send: the
// download's validators once its load committed, nothing when the load
// failed (the next pull downloads it whole, and loads it once the
// configuration is fixed). A failure to record costs one whole download at
// most, so it is logged, not the run's failure.
func (r *Runner) keepValidators(ctx context.Context, src *Source, f Fetched, fingerprint string, loadErr error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var err error
	if loadErr != nil || src.Pagination != nil || (f.ETag == "" && f.LastModified == "") {
		err = r.ledger.voidState(ctx, src.Name)
	} else {
		err = r.ledger.saveState(ctx, src.Name, f, fingerprint, r.now())
	}
	if err != nil {
		r.log.Warn("recording the source's validators", "source", src.Name, "err", err)
	}
}
