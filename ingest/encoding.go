package ingest

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Encoding names what decodeText found.
type Encoding string

// Encodings wardstat reads.
const (
	UTF8        Encoding = "utf-8"
	UTF8BOM     Encoding = "utf-8 (BOM)"
	UTF16LE     Encoding = "utf-16le"
	UTF16BE     Encoding = "utf-16be"
	Windows1258 Encoding = "windows-1258"
)

// decodeText wraps r so that it yields UTF-8 without a BOM. It recognises
// UTF-8 with or without a BOM, UTF-16 with a BOM (or without one, from its
// zero bytes), and falls back to Windows-1258, the Vietnamese Windows code
// page, when the start of the file is not valid UTF-8.
func decodeText(r *bufio.Reader) (io.Reader, Encoding) {
	head, _ := r.Peek(64 * 1024)
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = r.Discard(3)
		return r, UTF8BOM
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return transform.NewReader(r, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()), UTF16LE
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return transform.NewReader(r, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()), UTF16BE
	}
	if len(head) >= 4 {
		evenZeros, oddZeros := 0, 0
		for i := 0; i+1 < len(head) && i < 512; i += 2 {
			if head[i] == 0 {
				evenZeros++
			}
			if head[i+1] == 0 {
				oddZeros++
			}
		}
		pairs := min(len(head), 512) / 2
		if oddZeros > pairs/2 && evenZeros == 0 {
			return transform.NewReader(r, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()), UTF16LE
		}
		if evenZeros > pairs/2 && oddZeros == 0 {
			return transform.NewReader(r, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()), UTF16BE
		}
	}
	if !validUTF8Prefix(head) {
		// Windows-1258 writes tones as combining marks: recompose them.
		return transform.NewReader(r, transform.Chain(charmap.Windows1258.NewDecoder(), norm.NFC)), Windows1258
	}
	return r, UTF8
}

// validUTF8Prefix is utf8.Valid, forgiving a rune cut at the end of the peek.
func validUTF8Prefix(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		b = b[size:]
	}
	return true
}
