package ingest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/xuri/excelize/v2"
)

// xlsxReader streams one sheet of a workbook. Cells come as stored: a date
// cell is its Excel serial number (the parsers read serials), text as text.
type xlsxReader struct {
	f     *excelize.File
	rows  *excelize.Rows
	tmp   string // the workbook's temporary folder (xlsxTempDir)
	line  int
	Sheet string
}

var _ Reader = (*xlsxReader)(nil)

// sheetProbeRows is how many top rows of each sheet are scored to pick one.
const sheetProbeRows = 40

// OpenXLSX opens a workbook's sheet: the named one, else the sheet whose top
// rows hold the best-scoring header (the first sheet on a tie).
func OpenXLSX(path, sheet string, score func([]string) int) (Reader, error) {
	tmp, err := xlsxTempDir()
	if err != nil {
		return nil, fmt.Errorf("making a temporary folder for the workbook: %w; check that $TMPDIR (%s) is writable", err, os.TempDir())
	}
	f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true, TmpDir: tmp, UnzipXMLSizeLimit: xlsxMemoryLimit})
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("opening workbook: %w", err)
	}
	fail := func(err error) (Reader, error) {
		f.Close()
		os.RemoveAll(tmp)
		return nil, err
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
			return fail(fmt.Errorf("no sheet %q; the sheets are %q", sheet, sheets))
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
		return fail(fmt.Errorf("reading sheet %q: %w", chosen, err))
	}
	return &xlsxReader{f: f, rows: rows, tmp: tmp, Sheet: chosen}, nil
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
// by the next one that opens a workbook.
func xlsxTempDir() (string, error) {
	sweepXLSXTemp(os.TempDir())
	return os.MkdirTemp("", xlsxTempPrefix+strconv.Itoa(os.Getpid())+"-")
}

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
	rows, err := f.Rows(sheet)
	if err != nil {
		return -1
	}
	defer rows.Close()
	best := 0
	for i := 0; i < sheetProbeRows && rows.Next(); i++ {
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return -1
		}
		if s := score(cells); s > best {
			best = s
		}
	}
	return best
}

func (x *xlsxReader) Next() (Record, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return Record{}, fmt.Errorf("sheet %q: %w", x.Sheet, err)
		}
		return Record{}, io.EOF
	}
	x.line++
	cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return Record{}, fmt.Errorf("sheet %q, row %d: %w", x.Sheet, x.line, err)
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
