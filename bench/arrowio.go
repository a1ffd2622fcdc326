package bench

import (
	"bufio"
	"fmt"
	"os"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// WriteWindows1258 copies the UTF-8 text file src to dst in Windows-1258,
// as Excel on a Vietnamese Windows saves a CSV: a letter with a byte of
// its own is that byte; otherwise the letter with the mark it has a byte
// for ("ậ": "â"), then the tone as a combining mark.
func WriteWindows1258(src, dst string) (int64, error) {
	in, err := os.ReadFile(src)
	if err != nil {
		return 0, err
	}
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	w := bufio.NewWriterSize(out, 1<<20)
	cache := map[rune][]byte{}
	for _, r := range string(in) {
		b, ok := cache[r]
		if !ok {
			if b, err = encode1258(r); err != nil {
				return 0, err
			}
			cache[r] = b
		}
		w.Write(b)
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	st, err := out.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func encode1258(r rune) ([]byte, error) {
	if c, ok := charmap.Windows1258.EncodeRune(r); ok {
		return []byte{c}, nil
	}
	d := []rune(norm.NFD.String(string(r)))
	var out []byte
	for i := 1; i < len(d); i++ {
		if c, ok := charmap.Windows1258.EncodeRune([]rune(norm.NFC.String(string([]rune{d[0], d[i]})))[0]); ok {
			out = append(out, c)
			d = append([]rune{}, append(d[1:i:i], d[i+1:]...)...)
			break
		}
	}
	for _, m := range d {
		c, ok := charmap.Windows1258.EncodeRune(m)
		if !ok {
			return nil, fmt.Errorf("%q has no Windows-1258 form", r)
		}
		out = append(out, c)
	}
	return out, nil
}
