package ingest

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"unicode/utf8"

	"wardstat/internal/msg"
)

// More errors a caller may test for.
var (
	// ErrNotAFile is a path that names a folder, a named pipe, a device or
	// a socket (after following links): reading one could wait forever (a
	// pipe with no writer) or never end (/dev/zero).
	ErrNotAFile = msg.Errorf("không phải tệp thông thường", "not a regular file")
	// ErrTooLarge is a file, or a part of one, over one of wardstat's size
	// limits, which keep a load's memory bounded whatever the input.
	ErrTooLarge = msg.Errorf("quá giới hạn kích thước", "over a size limit")
	// ErrWarehouseFile is a DuckDB database (the warehouse itself, or a
	// copy), not an export.
	ErrWarehouseFile = msg.Errorf("một cơ sở dữ liệu DuckDB, không phải tệp xuất", "a DuckDB database, not an export")
	// ErrNoHeader is a file whose first rows name no column wardstat knows.
	ErrNoHeader = msg.Errorf("không có dòng tiêu đề", "no header row")
)

// Message is an error with its text in Vietnamese beside the English one
// (Error), for the command line to say in the user's language. Err, when
// set, is the sentinel it wraps.
type Message struct {
	VI, EN string
	Err    error
}

func (m *Message) Error() string { return m.EN }
func (m *Message) Unwrap() error { return m.Err }

// Text is the message in lang ("en", else Vietnamese), for msg.Render.
func (m *Message) Text(lang string) string {
	if lang == "en" {
		return m.EN
	}
	return m.VI
}

// CheckRegular refuses a path that is not a regular file once its links
// are followed, before anything opens it: opening a named pipe waits for a
// writer, a device never ends.
func CheckRegular(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if err := regularMode(st.Mode()); err != nil {
		return err
	}
	if st.Size() > maxFileBytes {
		return tooLarge(
			fmt.Sprintf("tệp lớn %s, quá giới hạn %s của wardstat cho một tệp xuất; hãy xuất theo từng kỳ hoặc từng đơn vị", BytesText(uint64(st.Size())), BytesText(uint64(maxFileBytes))),
			fmt.Sprintf("the file is %s, past wardstat's limit of %s for one export; export it a period or a ward at a time", BytesText(uint64(st.Size())), BytesText(uint64(maxFileBytes))))
	}
	return nil
}

// maxFileBytes bounds one export: a ward's export of millions of
// dossiers is a few GB at most, and a file of 100 GB (a sparse file of
// zeros takes no disk) took hours to hash and read to its end.
var maxFileBytes int64 = 16 << 30

func regularMode(m fs.FileMode) error {
	if m.IsRegular() {
		return nil
	}
	vi, en := "tệp đặc biệt", "special file"
	switch {
	case m.IsDir():
		vi, en = "thư mục", "folder"
	case m&fs.ModeNamedPipe != 0:
		vi, en = "đường ống (FIFO)", "named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0, m&fs.ModeDevice != 0:
		vi, en = "thiết bị", "device"
	case m&fs.ModeSocket != 0:
		vi, en = "socket", "socket"
	}
	return &Message{
		VI:  fmt.Sprintf("không phải tệp thường mà là %s: wardstat chỉ đọc tệp; hãy đặt ở đây tệp xuất (%s)", vi, FormatList()),
		EN:  fmt.Sprintf("not a regular file but a %s: wardstat reads only files; put the export file itself here (%s)", en, FormatList()),
		Err: ErrNotAFile,
	}
}

// OpenRegular opens a file for reading without waiting (a named pipe put
// in its place since it was checked opens at once, and is refused), and
// refuses anything but a regular file.
func OpenRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil {
		err = regularMode(st.Mode())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// duckdbMagic is what a DuckDB database file holds at offset 8.
var duckdbMagic = []byte("DUCK")

// isDuckDB says whether a file's first bytes are a DuckDB database's.
func isDuckDB(head []byte) bool {
	return len(head) >= 12 && bytes.Equal(head[8:12], duckdbMagic)
}

// maxQuoted is how many characters of a file's cell a message quotes.
const maxQuoted = 80

// Shorten cuts a text a message quotes (a header) to maxQuoted
// characters, a control character as U+FFFD.
func Shorten(s string) string { return shorten(s, maxQuoted) }

// QuoteCells shortens the cells a message quotes: each to maxQuoted
// characters, a control character (a NUL of a binary file) as U+FFFD.
func QuoteCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = shorten(c, maxQuoted)
	}
	return out
}

// shorten keeps the first n characters of s, marking a cut with "…", and
// replaces control characters.
func shorten(s string, n int) string {
	var b []rune
	for _, r := range s {
		if len(b) == n {
			return string(b) + "…"
		}
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			r = '\uFFFD'
		}
		b = append(b, r)
	}
	return string(b)
}

// SameFileAs says whether a path is one of paths (the same file, however
// named: a link, a relative path): a folder of exports that holds the
// warehouse must not load its database, WAL, snapshot or key file. Paths
// that do not exist now, or are empty, are left out.
func SameFileAs(paths ...string) func(string) bool {
	var own []os.FileInfo
	for _, p := range paths {
		if p == "" {
			continue
		}
		if st, err := os.Stat(p); err == nil {
			own = append(own, st)
		}
	}
	return func(path string) bool {
		st, err := os.Stat(path)
		if err != nil {
			return false
		}
		for _, o := range own {
			if os.SameFile(o, st) {
				return true
			}
		}
		return false
	}
}
