package ingest

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/xuri/excelize/v2"

	"wardstat/internal/msg"
)

// xlsxReader streams one sheet of a workbook. Cells come as stored: a date
// cell is its Excel serial number (the parsers read serials), text as text.
type xlsxReader struct {
	f     *excelize.File
	rows  *excelize.Rows
	tmp   string // the workbook's temporary folder (xlsxTempDir)
	path  string
	line  int
	Sheet string
	// dates1904 is set for a workbook that counts days from 1904.
	dates1904 *dates1904
}

var _ Reader = (*xlsxReader)(nil)

// sheetProbeRows is how many top rows of each sheet are scored to pick one.
const sheetProbeRows = 40

// OpenXLSX opens a workbook's sheet: the named one, else the sheet whose top
// rows hold the best-scoring header (the first sheet on a tie).
func OpenXLSX(path, sheet string, score func([]string) int) (Reader, error) {
	scanned, err := checkWorkbook(path)
	if err != nil {
		return nil, err
	}
	tmp, err := xlsxTempDir()
	if err != nil {
		return nil, msg.Errorf("không tạo được thư mục tạm cho sổ tính: %w; hãy kiểm tra quyền ghi $TMPDIR (%s)", "making a temporary folder for the workbook: %w; check that $TMPDIR (%s) is writable", err, os.TempDir())
	}
	f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true, TmpDir: tmp, UnzipXMLSizeLimit: xlsxMemoryLimit})
	if err != nil {
		os.RemoveAll(tmp)
		if serr := scanned(); serr != nil {
			return nil, serr
		}
		return nil, msg.Errorf("không mở được sổ tính (tệp hỏng hay bị cắt ngắn? hãy xuất lại tệp, hoặc mở bằng Excel rồi lưu lại); lỗi gốc: %w", "cannot open the workbook (a damaged or truncated file? export it again, or open and save it in Excel); the cause: %w", err)
	}
	fail := func(err error) (Reader, error) {
		f.Close()
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := scanned(); err != nil {
		return fail(err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return fail(ErrEmpty)
	}
	chosen := sheets[0]
	if sheet != "" {
		found := false
		for _, s := range sheets {
			if strings.EqualFold(s, sheet) {
				chosen, found = s, true
			}
		}
		if !found {
			return fail(msg.Errorf("không có trang %q; các trang là %q", "no sheet %q; the sheets are %q", sheet, sheets))
		}
	} else if score != nil && len(sheets) > 1 {
		bestScore := -1
		for _, s := range sheets {
			if sc := probeSheet(f, s, score); sc > bestScore {
				chosen, bestScore = s, sc
			}
		}
	}
	rows, err := f.Rows(chosen)
	if err != nil {
		return fail(msg.Errorf("đọc trang %q: %w", "reading sheet %q: %w", chosen, err))
	}
	x := &xlsxReader{f: f, rows: rows, tmp: tmp, path: path, Sheet: chosen}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil && *props.Date1904 {
		if err := check1904(path); err != nil {
			rows.Close()
			return fail(err)
		}
		x.dates1904 = &dates1904{f: f, sheet: chosen, isDate: map[int]bool{}}
	}
	return x, nil
}

// dates1904 reads the date cells of a workbook that counts days from 1
// January 1904 (as Excel on a Mac did), whose serial numbers are 1,462
// days short of the 1900 count the parsers read: left as they were, every
// date landed four years early, without a word. Only a cell whose format
// is a date's is moved, so that a fee is not.
type dates1904 struct {
	f      *excelize.File
	sheet  string
	isDate map[int]bool // by style
}

// days1904 is how many days the 1904 count lags the 1900 one.
const days1904 = 1462

// cell is the text of the cell at row (1-based) and col (0-based) as the
// 1900 count gives it.
func (d *dates1904) cell(row, col int, v string) string {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n < 1 { // text, or a time of day alone
		return v
	}
	name, err := excelize.CoordinatesToCellName(col+1, row)
	if err != nil {
		return v
	}
	id, err := d.f.GetCellStyle(d.sheet, name)
	if err != nil {
		return v
	}
	date, ok := d.isDate[id]
	if !ok {
		date = d.dateStyle(id)
		d.isDate[id] = date
	}
	if !date {
		return v
	}
	return strconv.FormatFloat(n+days1904, 'f', -1, 64)
}

// dateStyle says whether a cell style shows a date: one of Excel's
// built-in date formats, or a format of its own that names a day or a
// year (outside quotes and brackets).
func (d *dates1904) dateStyle(id int) bool {
	st, err := d.f.GetStyle(id)
	if err != nil || st == nil {
		return false
	}
	if st.CustomNumFmt == nil {
		n := st.NumFmt
		return (n >= 14 && n <= 17) || n == 22 || (n >= 27 && n <= 36) || (n >= 50 && n <= 58)
	}
	var b strings.Builder
	quoted, bracket := false, false
	for _, r := range *st.CustomNumFmt {
		switch {
		case r == '"':
			quoted = !quoted
		case r == '[' && !quoted:
			bracket = true
		case r == ']' && !quoted:
			bracket = false
		case !quoted && !bracket:
			b.WriteRune(r)
		}
	}
	return strings.ContainsAny(strings.ToLower(b.String()), "dy")
}

// xlsxMemoryLimit is how many bytes of a sheet's (or the shared strings')
// XML excelize holds in memory; a larger part is unpacked to a temporary
// file (0: excelize's default, 16 MiB).
var xlsxMemoryLimit int64

// xlsxTempPrefix begins the name of a workbook's temporary folder.
const xlsxTempPrefix = "wardstat-xlsx-"

// xlsxTempDir makes the folder excelize unpacks a workbook's large parts
// into. Those files hold the export's cells in clear, applicants' names,
// ID numbers and phones among them (a 200 k-row sheet: 110 MB), and
// excelize removes them only when the workbook is closed: each workbook
// gets a folder of its own, readable by its owner only, removed when its
// reader closes, and a folder left by a process that was killed is removed
// by the next wardstat command (SweepTemp), whatever it is.
func xlsxTempDir() (string, error) {
	sweepXLSXTemp(os.TempDir())
	return os.MkdirTemp("", xlsxTempPrefix+strconv.Itoa(os.Getpid())+"-")
}

// SweepTemp removes the temporary folders of workbooks whose process was
// killed before it could: every wardstat command calls it as it starts,
// so that no export's cells outlive the load that unpacked them longer
// than until the next command.
func SweepTemp() { sweepXLSXTemp(os.TempDir()) }

// sweepXLSXTemp removes the workbook folders in root whose process has
// ended.
func sweepXLSXTemp(root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), xlsxTempPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pid, err := strconv.Atoi(strings.SplitN(rest, "-", 2)[0])
		if err != nil || processAlive(pid) {
			continue
		}
		os.RemoveAll(filepath.Join(root, e.Name()))
	}
}

// processAlive reports whether a process with this id runs (one of
// another user's included).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

func probeSheet(f *excelize.File, sheet string, score func([]string) int) int {
	top, err := topRows(f, sheet, sheetProbeRows)
	if err != nil {
		return -1
	}
	best := 0
	for _, cells := range top {
		best = max(best, score(cells))
	}
	return best
}

// topRows is a sheet's first n rows.
func topRows(f *excelize.File, sheet string, n int) ([][]string, error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var top [][]string
	for len(top) < n && rows.Next() {
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, err
		}
		top = append(top, cells)
	}
	return top, rows.Error()
}

func (x *xlsxReader) Next() (Record, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return Record{}, msg.Errorf("trang %q: %w", "sheet %q: %w", x.Sheet, err)
		}
		return Record{}, io.EOF
	}
	x.line++
	cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return Record{}, msg.Errorf("trang %q, dòng %d: %w", "sheet %q, row %d: %w", x.Sheet, x.line, err)
	}
	if x.dates1904 != nil {
		for i, c := range cells {
			cells[i] = x.dates1904.cell(x.line, i, c)
		}
	}
	return Record{Line: x.line, Cells: cells}, nil
}

func (x *xlsxReader) Close() error {
	err := x.rows.Close()
	if cerr := x.f.Close(); err == nil {
		err = cerr
	}
	if rerr := os.RemoveAll(x.tmp); err == nil {
		err = rerr
	}
	return err
}
