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

// Encoding names what DecodeText found.
type Encoding string

// Encodings wardstat reads.
const (
	UTF8        Encoding = "utf-8"
	UTF8BOM     Encoding = "utf-8 (BOM)"
	UTF16LE     Encoding = "utf-16le"
	UTF16BE     Encoding = "utf-16be"
	Windows1258 Encoding = "windows-1258"
)

// DecodeText wraps r so that it yields UTF-8 without a BOM. It recognises
// UTF-8 with or without a BOM, UTF-16 with a BOM (or without one, from its
// zero bytes), and falls back to Windows-1258, the Vietnamese Windows code
// page, when the start of the file reads as it (utf8Evidence): a UTF-8
// file with a stray byte that is not UTF-8 stays UTF-8, and the reader
// rejects the row that holds it (FaultEncoding).
func DecodeText(r *bufio.Reader) (io.Reader, Encoding) {
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
	if !utf8Evidence(head) {
		// Windows-1258 writes tones as combining marks: recompose them.
		return transform.NewReader(r, transform.Chain(charmap.Windows1258.NewDecoder(), norm.NFC)), Windows1258
	}
	return r, UTF8
}

// utf8Evidence reports whether the start of a file reads as UTF-8: it is
// valid UTF-8, or its letters written as UTF-8 (runes of two bytes or more)
// outnumber four to one its bytes that are not: Vietnamese text in
// Windows-1258 makes almost no valid UTF-8 runes (a letter is one byte,
// its tone another), so one or a few stray bytes in a UTF-8 file do not
// turn the whole file into mojibake.
func utf8Evidence(head []byte) bool {
	if validUTF8Prefix(head) {
		return true
	}
	letters, stray := 0, 0
	for b := head; len(b) > 0; {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size <= 1:
			if len(b) < utf8.UTFMax && !utf8.FullRune(b) {
				b = nil // a rune cut at the end of the peek
				continue
			}
			stray++
		case size > 1:
			letters++
		}
		b = b[size:]
	}
	return letters >= 4*stray
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
