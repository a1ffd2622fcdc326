package schedules

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"wardstat/ingest"
)

// Errors of a pull.
var (
	// ErrTooLarge is a body over the source's max_bytes.
	ErrTooLarge = errors.New("the export is larger than max_bytes")
	// ErrTruncated is a body cut before its announced end.
	ErrTruncated = errors.New("the download was cut before its end")
)

// HTTPStatusError is a response wardstat will not retry, or the last of its retries.
type HTTPStatusError struct {
	URL    string
	Status int
	Hint   string
}

func (e *HTTPStatusError) Error() string {
	msg := fmt.Sprintf("GET %s: %d %s", redact(e.URL), e.Status, http.StatusText(e.Status))
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// redact drops a URL's query values that look like secrets.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for k := range q {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "token") || strings.Contains(lk, "key") || strings.Contains(lk, "secret") || strings.Contains(lk, "password") {
			q.Set(k, "***")
		}
	}
	u.RawQuery = q.Encode()
	if u.User != nil {
		u.User = url.User("***")
	}
	return u.String()
}

// Fetched is a complete download, ready to load.
type Fetched struct {
	Path         string
	ETag         string
	LastModified string
	Unchanged    bool // the server said 304: nothing to load
}

// httpPuller pulls a source's export over HTTP(S).
type httpPuller struct {
	client      *http.Client
	backoffBase time.Duration
	workDir     string
}

// window fills {from} and {to} in a URL.
func window(src *Source, from, to time.Time) string {
	r := strings.NewReplacer(
		"{from}", url.QueryEscape(from.Format(src.DateLayout)),
		"{to}", url.QueryEscape(to.Format(src.DateLayout)))
	return r.Replace(src.URL)
}

// pull downloads the source's export for [from, to] into a file in the
// work folder. A body is written to a temp file and renamed only when
// complete; a page-by-page API is gathered into one NDJSON file.
func (p *httpPuller) pull(ctx context.Context, src *Source, from, to time.Time, prior *sourceState) (Fetched, error) {
	if err := os.MkdirAll(p.workDir, 0o700); err != nil {
		return Fetched{}, err
	}
	target := window(src, from, to)
	if src.Pagination != nil {
		return p.pullPages(ctx, src, target)
	}
	tmp, err := os.CreateTemp(p.workDir, downloadPrefix+src.Name+"-*.part")
	if err != nil {
		return Fetched{}, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	var res Fetched
	err = p.withRetries(ctx, src, emptiedOnFailure(tmp, func() error {
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if err := tmp.Truncate(0); err != nil {
			return err
		}
		resp, err := p.get(ctx, src, target, prior)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusNotModified {
			res.Unchanged = true
			return nil
		}
		res.ETag, res.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
		n, err := io.Copy(tmp, io.LimitReader(resp.Body, src.MaxBytes+1))
		if err != nil {
			return retryable(fmt.Errorf("%w after %d bytes: %v", ErrTruncated, n, err))
		}
		if n > src.MaxBytes {
			return permanent(fmt.Errorf("%w (%d bytes); raise max_bytes if the export is right", ErrTooLarge, src.MaxBytes))
		}
		if resp.ContentLength >= 0 && n != resp.ContentLength {
			return retryable(fmt.Errorf("%w: %d of %d bytes", ErrTruncated, n, resp.ContentLength))
		}
		res.Path = extFor(resp, target)
		return nil
	}))
	if err != nil || res.Unchanged {
		return res, err
	}
	if err := tmp.Sync(); err != nil {
		return res, err
	}
	final := filepath.Join(p.workDir, fmt.Sprintf("%s%s-%s%s", downloadPrefix, src.Name, time.Now().Format("20060102-150405.000"), res.Path))
	if err := os.Rename(tmp.Name(), final); err != nil {
		return res, err
	}
	res.Path = final
	return res, nil
}

// downloadPrefix begins the name of every download in the work folder,
// whole or in progress: "wardstat-pull-<source>-…". ClearWork removes
// what bears it, whatever the configuration now calls its sources.
const downloadPrefix = "wardstat-pull-"

// emptiedOnFailure runs a try that writes into part, and empties part
// when the try fails: a half export (applicants in clear) does not wait
// on disk through the backoff for the next try.
func emptiedOnFailure(part *os.File, try func() error) func() error {
	return func() error {
		err := try()
		if err != nil {
			part.Truncate(0) //nolint:errcheck // best effort; the part is removed when the pull ends
		}
		return err
	}
}

// clearWork removes from the work folder the files a pull names (the
// download prefix, or, left by an older wardstat, a configured source's
// name, a dash, then a time or a temporary suffix): only those, in case
// work_dir names a folder that holds anything else.
func clearWork(dir string, sources []Source) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("clearing the work folder: %w", err)
	}
	// The folder is made its owner's only, unless it is a shared one
	// (sticky, as /tmp): that is left as it is (its downloads are 0600
	// each), never locked away from everyone else.
	if st, err := os.Stat(dir); err != nil {
		return fmt.Errorf("clearing the work folder: %w", err)
	} else if st.Mode()&os.ModeSticky == 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("clearing the work folder: %w", err)
		}
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !isDownload(e.Name(), sources) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("clearing the work folder: %w", err)
		}
	}
	return nil
}

// isDownload tells a pull's file in the work folder by its name.
func isDownload(name string, sources []Source) bool {
	if strings.HasPrefix(name, downloadPrefix) {
		return true
	}
	for _, src := range sources {
		if rest, ok := strings.CutPrefix(name, src.Name+"-"); ok && rest != "" && rest[0] >= '0' && rest[0] <= '9' {
			return true
		}
	}
	return false
}

// extFor names a download's extension from its Content-Type or URL.
func extFor(resp *http.Response, target string) string {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case strings.Contains(mt, "json"):
		return ".json"
	case strings.Contains(mt, "spreadsheetml"):
		return ".xlsx"
	case strings.Contains(mt, "csv"):
		return ".csv"
	}
	if u, err := url.Parse(target); err == nil {
		if ext := strings.ToLower(filepath.Ext(u.Path)); ext == ".json" || ext == ".csv" || ext == ".xlsx" || ext == ".ndjson" {
			return ext
		}
	}
	return ".export"
}

func (p *httpPuller) get(ctx context.Context, src *Source, target string, prior *sourceState) (*http.Response, error) {
	rctx, cancel := context.WithTimeout(ctx, src.Timeout.Std())
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, target, nil)
	if err != nil {
		cancel()
		return nil, permanent(err)
	}
	req.Header.Set("User-Agent", "wardstat")
	for k, v := range src.Headers {
		req.Header.Set(k, os.ExpandEnv(v))
	}
	if src.TokenEnv != "" {
		req.Header.Set("Authorization", "Bearer "+os.Getenv(src.TokenEnv))
	}
	if prior != nil {
		if prior.ETag != "" {
			req.Header.Set("If-None-Match", prior.ETag)
		}
		if prior.LastModified != "" {
			req.Header.Set("If-Modified-Since", prior.LastModified)
		}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			return nil, permanent(ctx.Err())
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is said once, redacted
		}
		return nil, retryable(fmt.Errorf("GET %s: %w", redact(target), err))
	}
	resp.Body = cancelOnClose{resp.Body, cancel}
	switch {
	case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNotModified:
		return resp, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		resp.Body.Close()
		return nil, retryable(&HTTPStatusError{URL: target, Status: resp.StatusCode})
	default:
		resp.Body.Close()
		hint := ""
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			hint = "check the token"
			if src.TokenEnv != "" {
				hint += " in $" + src.TokenEnv
			}
		case http.StatusNotFound:
			hint = "check the url"
		}
		return nil, permanent(&HTTPStatusError{URL: target, Status: resp.StatusCode, Hint: hint})
	}
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

type retryErr struct{ error }
type permanentErr struct{ error }

func (e retryErr) Unwrap() error     { return e.error }
func (e permanentErr) Unwrap() error { return e.error }

func retryable(err error) error { return retryErr{err} }
func permanent(err error) error { return permanentErr{err} }

// withRetries runs try until it succeeds, fails permanently, or the
// source's retries are spent, waiting an exponential backoff with full
// jitter between tries.
func (p *httpPuller) withRetries(ctx context.Context, src *Source, try func() error) error {
	var err error
	for attempt := 0; attempt <= src.Retries; attempt++ {
		if attempt > 0 {
			backoff := p.backoffBase << (attempt - 1)
			if backoff > 30*time.Second {
				backoff = 30 * time.Second
			}
			wait := time.Duration(rand.Int64N(int64(backoff)) + int64(backoff)/2)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		err = try()
		var perm permanentErr
		if err == nil || errors.As(err, &perm) {
			return unwrapMarks(err)
		}
	}
	return fmt.Errorf("%w (after %d tries)", unwrapMarks(err), src.Retries+1)
}

func unwrapMarks(err error) error {
	for {
		switch e := err.(type) {
		case retryErr:
			err = e.error
		case permanentErr:
			err = e.error
		default:
			return err
		}
	}
}

// pullPages gathers a paginated JSON API into one NDJSON file.
func (p *httpPuller) pullPages(ctx context.Context, src *Source, first string) (Fetched, error) {
	tmp, err := os.CreateTemp(p.workDir, downloadPrefix+src.Name+"-*.part")
	if err != nil {
		return Fetched{}, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	pg := src.Pagination
	next := first
	var total int64
	for page := 0; page < pg.MaxPages && next != ""; page++ {
		target := next
		if pg.Type == "page" {
			u, err := url.Parse(first)
			if err != nil {
				return Fetched{}, err
			}
			q := u.Query()
			q.Set(pg.Param, strconv.Itoa(pg.Start+page))
			u.RawQuery = q.Encode()
			target = u.String()
		}
		var body []byte
		err := p.withRetries(ctx, src, func() error {
			resp, err := p.get(ctx, src, target, nil)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(io.LimitReader(resp.Body, src.MaxBytes-total+1))
			if err != nil {
				return retryable(fmt.Errorf("%w: %v", ErrTruncated, err))
			}
			if resp.ContentLength >= 0 && int64(len(b)) != resp.ContentLength {
				return retryable(fmt.Errorf("%w: %d of %d bytes", ErrTruncated, len(b), resp.ContentLength))
			}
			body = b
			return nil
		})
		if err != nil {
			return Fetched{}, fmt.Errorf("page %d: %w", page+1, err)
		}
		total += int64(len(body))
		if total > src.MaxBytes {
			return Fetched{}, fmt.Errorf("%w (%d bytes); raise max_bytes if the export is right", ErrTooLarge, src.MaxBytes)
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return Fetched{}, fmt.Errorf("page %d of %s is not JSON: %w", page+1, redact(target), err)
		}
		records, _ := ingest.RecordsIn(v)
		for _, r := range records {
			line, err := json.Marshal(r)
			if err != nil {
				return Fetched{}, err
			}
			tmp.Write(append(line, '\n'))
		}
		switch pg.Type {
		case "page":
			if len(records) == 0 {
				next = ""
			}
		case "next":
			next = ""
			if s, ok := dig(v, pg.NextField).(string); ok && s != "" {
				base, _ := url.Parse(target)
				if ref, err := url.Parse(s); err == nil {
					next = base.ResolveReference(ref).String()
				}
			}
		}
	}
	if err := tmp.Sync(); err != nil {
		return Fetched{}, err
	}
	final := filepath.Join(p.workDir, fmt.Sprintf("%s%s-%s.ndjson", downloadPrefix, src.Name, time.Now().Format("20060102-150405.000")))
	if err := os.Rename(tmp.Name(), final); err != nil {
		return Fetched{}, err
	}
	return Fetched{Path: final}, nil
}

// dig follows a dotted path into decoded JSON.
func dig(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
