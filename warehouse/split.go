package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// SplitStatements cuts an analyst's text into its statements at the
// semicolons outside quotes ('…', E'…', "…", $tag$…$tag$) and comments
// (-- …, /* … */, nested). A piece holding only blanks and comments is
// left out. It is a lexer, not DuckDB's parser: CheckReads checks its
// pieces against DuckDB's own count before any runs.
func SplitStatements(text string) []string {
	var out []string
	start, i, n := 0, 0, len(text)
	code := false // the current piece holds more than blanks and comments
	cut := func(end int) {
		if code {
			out = append(out, strings.TrimSpace(text[start:end]))
		}
		start, code = end+1, false
	}
	for i < n {
		c := text[i]
		switch {
		case c == ';':
			cut(i)
			i++
		case c == '-' && i+1 < n && text[i+1] == '-':
			for i < n && text[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < n && text[i+1] == '*':
			depth := 0
			for i < n {
				if text[i] == '/' && i+1 < n && text[i+1] == '*' {
					depth++
					i += 2
					continue
				}
				if text[i] == '*' && i+1 < n && text[i+1] == '/' {
					depth--
					i += 2
					if depth == 0 {
						break
					}
					continue
				}
				i++
			}
		case c == '\'' || c == '"':
			code = true
			escapes := c == '\'' && i > 0 && (text[i-1] == 'e' || text[i-1] == 'E') && (i == 1 || !isWordByte(text[i-2]))
			i++
			for i < n {
				if escapes && text[i] == '\\' {
					i += 2
					continue
				}
				if text[i] == c {
					if i+1 < n && text[i+1] == c { // '' or "" inside
						i += 2
						continue
					}
					break
				}
				i++
			}
			i++
		case c == '$' && (i == 0 || !isWordByte(text[i-1])):
			code = true
			j := i + 1
			for j < n && (isWordByte(text[j]) && !(j == i+1 && text[j] >= '0' && text[j] <= '9')) {
				j++
			}
			if j < n && text[j] == '$' {
				tag := text[i : j+1]
				if end := strings.Index(text[j+1:], tag); end >= 0 {
					i = j + 1 + end + len(tag)
				} else {
					i = n
				}
				continue
			}
			i++
		default:
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
				code = true
			}
			i++
		}
	}
	cut(n)
	return out
}

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80
}

// CheckReads checks a text of one or more statements the way QueryRead
// checks one, before any runs: it returns the statements in order when
// each alone passes CheckRead (one statement, a query, no refused function
// or file) and they are as many as DuckDB's parser finds in the whole
// text; else the first refusal, or a *StatementError with Statements set
// and Unsplit when the text could not be cut into its statements.
func (w *Warehouse) CheckReads(ctx context.Context, text string) ([]string, error) {
	if len(text) > MaxQueryBytes {
		return nil, fmt.Errorf("the statement is %d bytes, more than %d", len(text), MaxQueryBytes)
	}
	pieces := SplitStatements(text)
	if len(pieces) <= 1 {
		if err := w.CheckRead(ctx, text); err != nil {
			return nil, err
		}
		return []string{text}, nil
	}
	for i, p := range pieces {
		if err := w.CheckRead(ctx, p); err != nil {
			return nil, &PieceError{Index: i + 1, Of: len(pieces), Err: err}
		}
	}
	var tree string
	if err := w.db.QueryRowContext(ctx, `SELECT json_serialize_sql(?::VARCHAR)::VARCHAR`, text).Scan(&tree); err != nil {
		return nil, fmt.Errorf("checking the statements: %w", err)
	}
	var parsed struct {
		Error      bool              `json:"error"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(tree), &parsed); err != nil || parsed.Error || len(parsed.Statements) != len(pieces) {
		return nil, &StatementError{Statements: max(len(parsed.Statements), len(pieces)), Unsplit: true}
	}
	return pieces, nil
}

// PieceError is a refusal of one statement of several: the Index-th of Of
// (from 1).
type PieceError struct {
	Index, Of int
	Err       error
}

func (e *PieceError) Error() string {
	return fmt.Sprintf("statement %d of %d: %v", e.Index, e.Of, e.Err)
}

func (e *PieceError) Unwrap() error { return e.Err }
