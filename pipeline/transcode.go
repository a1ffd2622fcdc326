package pipeline

import (
	"bufio"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"wardstat/ingest"
)

// toUTF8 copies a text file in an encoding DuckDB cannot read offline
// (Windows-1258, as Excel on a Vietnamese Windows saves "CSV", or UTF-16
// big-endian) to a new UTF-8 file with the same lines, which DuckDB's
// reader then reads in parallel, faster than ours. The text is
// the one our reader sees (ingest.DecodeText). Like unwrapJSON's copy, it holds
// the file's applicants in clear and cannot outlive the load (tempCopy).
func toUTF8(path string, enc ingest.Encoding, dir string) (copied string, done func(), err error) {
	return tempCopy(path, dir, "wardstat-text-*.csv", func(r *bufio.Reader, w *bufio.Writer) error {
		switch enc {
		case ingest.Windows1258:
			return windows1258ToUTF8(r, w)
		case ingest.UTF16BE:
			_, err := io.Copy(w, transform.NewReader(r, unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder()))
			return err
		}
		return fmt.Errorf("no copy to UTF-8 from %s", enc)
	})
}

// win1258 is each Windows-1258 byte's rune, and win1258Mark whether it is
// one of the combining marks the encoding writes Vietnamese tones with.
var (
	win1258     [256]rune
	win1258Mark [256]bool
)

func init() {
	for b := range 256 {
		r := charmap.Windows1258.DecodeByte(byte(b))
		win1258[b] = r
		win1258Mark[b] = r >= 0x300 && r < 0x370
	}
}

// windows1258ToUTF8 copies Windows-1258 text to w as UTF-8 in NFC, as
// charmap.Windows1258's decoder followed by norm.NFC does (our reader's
// ingest.DecodeText; fuzzed against it), without the normaliser's cost on every
// byte. Only a letter followed by tone marks changes: that cluster is
// composed, each distinct one once.
func windows1258ToUTF8(r io.Reader, w io.Writer) error {
	in := make([]byte, 1<<20)
	out := make([]byte, 0, 3<<20)
	composed := map[string]string{}
	// base is where in out the last letter starts (at first, an empty one:
	// marks that open the text are only put in order), cluster that letter
	// and the marks after it, once it has some.
	base := 0
	var cluster []byte
	compose := func() {
		c, ok := composed[string(cluster)]
		if !ok {
			c = norm.NFC.String(string(cluster))
			composed[string(cluster)] = c
		}
		out = append(out[:base], c...)
		cluster = cluster[:0]
	}
	for {
		n, rerr := io.ReadFull(r, in)
		for _, b := range in[:n] {
			if win1258Mark[b] {
				if len(cluster) == 0 {
					cluster = append(cluster, out[base:]...)
				}
				cluster = utf8.AppendRune(cluster, win1258[b])
				continue
			}
			if len(cluster) > 0 {
				compose()
			}
			base = len(out)
			if b < utf8.RuneSelf {
				out = append(out, b)
			} else {
				out = utf8.AppendRune(out, win1258[b])
			}
		}
		if rerr != nil && rerr != io.ErrUnexpectedEOF && rerr != io.EOF {
			return rerr
		}
		if rerr != nil { // the end of the text
			if len(cluster) > 0 {
				compose()
			}
			_, err := w.Write(out)
			return err
		}
		// Keep the last letter: a mark may follow in the next block.
		if _, err := w.Write(out[:base]); err != nil {
			return err
		}
		out = append(out[:0], out[base:]...)
		base = 0
	}
}
