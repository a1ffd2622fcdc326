// Package ingest reads ward exports: it detects a file's format and
// encoding and yields its rows as text cells, whatever vendor wrote it.
// Readers know nothing of dossiers; transform finds the header and maps
// the columns.
package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"wardstat/internal/msg"
)

// Record is one row of a source file.
type Record struct {
	// Line is where the row is in the file: the 1-based line of a CSV
	// record's first line, a sheet's row number, or a JSON record's ordinal.
	Line int
	// Cells are the row's values as text.
	Cells []string
	// Header marks a row of column names given by the format itself (JSON
	// keys), which needs no detection. A JSON source sends a new Header
	// record when later records bring new keys.
	Header bool
	// Fault, if set, says why the row could not be read as it was written
	// (FaultUnclosedQuote, FaultTooLong, FaultEncoding): the load rejects
	// it, on its line, with that code; Cells are what could be made of it.
	Fault string
}

// Reader yields a file's rows; Next returns io.EOF after the last one.
type Reader interface {
	Next() (Record, error)
	Close() error
}

// Format names an input format.
type Format string

// Formats wardstat reads.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
	JSON Format = "json"
	// HTML is a page with a table: what many systems save as ".xls".
	HTML Format = "html"
	// XLS is an old binary workbook (Excel 97-2003).
	XLS Format = "xls"
)

// Formats is every format wardstat reads, in the order messages and help
// name them: the names --format and a source's format: take, besides
// "auto". Detect also takes a few aliases (tsv, txt, excel, ndjson, jsonl,
// htm); a source's configuration does not.
var Formats = []Format{CSV, XLSX, XLS, JSON, HTML}

// FormatList is Formats for a message: "csv, xlsx, xls, json, html".
func FormatList() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// FormatChoices is what a format option takes, for its help or error:
// "auto, csv, xlsx, xls, json or html", or ("or") in the reader's language.
func FormatChoices(or string) string {
	list := "auto, " + FormatList()
	i := strings.LastIndex(list, ", ")
	return list[:i] + " " + or + " " + list[i+2:]
}

// Errors a caller may test for.
var (
	// ErrUnsupported is a file in a format wardstat does not read.
	ErrUnsupported = msg.Errorf("định dạng không đọc được", "unsupported format")
	// ErrEmpty is a file with no rows at all.
	ErrEmpty = msg.Errorf("tệp trống", "the file is empty")
)

// Options tune how a file is opened.
type Options struct {
	// Format forces one of Formats; "" or "auto" detects it.
	Format string
	// Sheet picks a workbook's sheet by name; "" takes the first sheet whose top
	// rows score best under HeaderScore.
	Sheet string
	// HeaderScore rates a row as a header (more is better); used to pick a sheet.
	HeaderScore func([]string) int
}

// Open opens a file for reading with the reader its content calls for.
func Open(path string, opt Options) (Reader, Format, error) {
	if err := CheckRegular(path); err != nil {
		return nil, "", err
	}
	format, err := Detect(path, opt.Format)
	if err != nil {
		return nil, "", err
	}
	var r Reader
	switch format {
	case CSV:
		r, err = OpenCSV(path)
	case XLSX:
		r, err = OpenXLSX(path, opt.Sheet, opt.HeaderScore)
	case JSON:
		r, err = OpenJSON(path)
	case HTML:
		r, err = OpenHTML(path)
	case XLS:
		r, err = OpenXLS(path, opt.Sheet, opt.HeaderScore)
	}
	if err != nil {
		return nil, format, err
	}
	return r, format, nil
}

// Detect tells a file's format from its first bytes, falling back to its
// extension; forced, when not "" or "auto", wins.
func Detect(path, forced string) (Format, error) {
	switch strings.ToLower(forced) {
	case "", "auto":
	case "csv", "tsv", "txt":
		return CSV, nil
	case "xlsx", "excel":
		return XLSX, nil
	case "json", "ndjson", "jsonl":
		return JSON, nil
	case "html", "htm":
		return HTML, nil
	case "xls":
		return XLS, nil
	default:
		return "", msg.Errorf("định dạng %q: %w; hãy dùng "+FormatList()+" hoặc auto", "format %q: %w; use "+FormatList()+" or auto", forced, ErrUnsupported)
	}
	f, err := OpenRegular(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", msg.Errorf("đọc %s: %w", "reading %s: %w", path, err)
	}
	head = head[:n]
	if n == 0 {
		return "", ErrEmpty
	}
	if isDuckDB(head) {
		return "", &Message{
			VI:  "đây là một cơ sở dữ liệu DuckDB (kho của wardstat, hoặc bản sao), không phải tệp xuất; hãy để kho ngoài thư mục tệp xuất",
			EN:  "this is a DuckDB database (a wardstat warehouse, or a copy), not an export; keep the warehouse out of the exports folder",
			Err: ErrWarehouseFile,
		}
	}
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return XLSX, nil
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return XLS, nil
	}
	text := firstText(head)
	switch {
	case strings.HasPrefix(text, "[") || strings.HasPrefix(text, "{"):
		return JSON, nil
	case isJSONName(path) && jsonScalar(head, n == cap(head)):
		// A file that is one JSON number, string, true, false or null.
		// Its kind, not its text: a lone string may be a name, and the
		// message reaches logs and reason files.
		vi, en := "một số", "a number"
		kind := byte('0')
		if t := strings.TrimSpace(text); t != "" {
			kind = t[0]
		}
		switch kind {
		case '"':
			vi, en = "một chuỗi", "a string"
		case 't', 'f':
			vi, en = "true/false", "true/false"
		case 'n':
			vi, en = "null", "null"
		}
		return "", &Message{
			VI:  fmt.Sprintf("tệp JSON chỉ chứa một giá trị (%s), không có hồ sơ nào; cần một mảng các đối tượng [{…}, …] hoặc mỗi dòng một đối tượng", vi),
			EN:  fmt.Sprintf("the JSON file holds a single value (%s), no records; it must hold an array of objects [{…}, …] or one object a line", en),
			Err: ErrUnsupported,
		}
	case strings.HasPrefix(strings.ToLower(text), "<"):
		if strings.Contains(strings.ToLower(string(head)), "<table") || strings.Contains(strings.ToLower(text), "<html") || strings.HasPrefix(strings.ToLower(text), "<!doctype html") {
			return HTML, nil
		}
		return "", msg.Errorf("%s là XML, không phải bảng tính: %w; hãy mở bằng Excel hoặc LibreOffice rồi lưu dạng .xlsx hoặc .csv",
			"%s is XML, not a spreadsheet: %w; open it in Excel or LibreOffice and save it as .xlsx or .csv", filepath.Base(path), ErrUnsupported)
	}
	return CSV, nil
}

// jsonScalar says whether a file's head is one JSON number, string, true,
// false or null: the whole file when it is not cut, else a string longer
// than the head (a CSV's quoted header closes its quote soon).
func jsonScalar(head []byte, cut bool) bool {
	t := bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")))
	if len(t) == 0 || t[0] == '[' || t[0] == '{' {
		return false
	}
	if !cut {
		return json.Valid(t)
	}
	return t[0] == '"' && bytes.IndexByte(t[1:], '"') < 0
}

// isJSONName says whether a file is named as JSON.
func isJSONName(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json", ".jsonl", ".ndjson":
		return true
	}
	return false
}

// firstText decodes the start of a file enough to see its first characters.
func firstText(head []byte) string {
	r, _ := DecodeText(bufio.NewReader(bytes.NewReader(head)))
	b, _ := io.ReadAll(io.LimitReader(r, 256))
	return strings.TrimLeft(string(b), " \t\r\n\ufeff")
}
