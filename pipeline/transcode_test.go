package pipeline

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// referenceWindows1258 is what our reader makes of Windows-1258 text.
func referenceWindows1258(data []byte) string {
	b, _ := io.ReadAll(transform.NewReader(bytes.NewReader(data), transform.Chain(charmap.Windows1258.NewDecoder(), norm.NFC)))
	return string(b)
}

func fastWindows1258(data []byte) (string, error) {
	var out bytes.Buffer
	err := windows1258ToUTF8(bytes.NewReader(data), &out)
	return out.String(), err
}

func TestWindows1258ToUTF8(t *testing.T) {
	fixture, err := os.ReadFile("../testdata/ingest/windows-1258.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range [][]byte{
		fixture,
		[]byte("Nguye\xDEn Va\xECn A\xF2nh,Tra\xEC\xF2n\n"),  // tones after letters; two marks on one
		[]byte("\xEC\xCC\xDEtone marks first\r\n\xEA\xF2"),   // marks with no letter; a mark at the end
		bytes.Repeat([]byte("Ho\xD2 ti\xEA\xF2ch,"), 200000), // clusters across the 1 MB blocks
	} {
		got, err := fastWindows1258(in)
		if want := referenceWindows1258(in); err != nil || got != want {
			t.Errorf("%.60q:\n got %.200q (%v)\nwant %.200q", in, got, err, want)
		}
	}
}

// FuzzWindows1258: the fast copy gives the text our reader sees.
func FuzzWindows1258(f *testing.F) {
	seedFiles(f, "../testdata/ingest/windows-1258.csv")
	f.Add([]byte("a\xCC\xEC\xF2b\xDE"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := fastWindows1258(data)
		if want := referenceWindows1258(data); err != nil || got != want {
			t.Fatalf("%q: got %q (%v), want %q", data, got, err, want)
		}
	})
}

func BenchmarkWindows1258(b *testing.B) {
	data := bytes.Repeat([]byte("000.10.27.H37-210101-0000000,Ca\xECp Gia\xECy xa\xECc nha\xECn ti\xCCnh tra\xF2ng h\xF4n nh\xE2n,H\xF4\xF2 ti\xEA\xF2ch,Tr\xFD\xF2c ti\xEA\xECp,01/01/2021 08:29:50,Vu\xDE Thi\xF2 G\xE2\xECm,0981239739\n"), 20000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		w := bufio.NewWriter(io.Discard)
		if err := windows1258ToUTF8(bytes.NewReader(data), w); err != nil {
			b.Fatal(err)
		}
	}
}
