package pipeline

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"

	"wardstat/ingest"
)

// gzipMagic begins a gzip file (an export saved as .csv.gz, .json.gz).
var gzipMagic = []byte{0x1f, 0x8b}

// Limits on what a compressed export may unpack to: it is unpacked to a
// temporary file (its disk), and a file that unpacks a thousand times
// over is a bomb, not an export. Tests lower them.
var (
	maxGunzipped   int64 = 4 << 30
	gzipRatio      int64 = 200
	gzipRatioFrom  int64 = 64 << 20
	errGzipTooMuch       = fmt.Errorf("unpacks past the limit: %w", ingest.ErrTooLarge)
)

// isGzip says whether a file's first bytes are gzip's.
func isGzip(path string) (bool, error) {
	f, err := ingest.OpenRegular(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, 2)
	n, _ := io.ReadFull(f, head)
	return bytes.Equal(head[:n], gzipMagic), nil
}

// gunzipCopy unpacks a gzip file to a temporary file (see tempFile: the
// export's cells in clear, gone with the load or the process), which the
// load then reads as it would the export itself. It stops past
// maxGunzipped bytes, or past gzipRatio times the packed size once over
// gzipRatioFrom.
func gunzipCopy(path string, packed int64) (name string, done func(), err error) {
	name, done, err = tempCopy(path, "", "wardstat-unpacked-*", func(r *bufio.Reader, w *bufio.Writer) error {
		return gunzip(r, w, packed)
	})
	if err != nil {
		return "", nil, gzipError(err, packed)
	}
	return name, done, nil
}

// gunzip copies the unpacked bytes of r to w within the limits.
func gunzip(r io.Reader, w io.Writer, packed int64) error {
	z, err := gzip.NewReader(r)
	if err != nil {
		return err
	}
	defer z.Close()
	limit := min(maxGunzipped, max(gzipRatio*max(packed, 1), gzipRatioFrom))
	n, err := io.Copy(w, io.LimitReader(z, limit+1))
	if err != nil {
		return err
	}
	if n > limit {
		return errGzipTooMuch
	}
	return nil
}

func gzipError(err error, packed int64) error {
	if err == errGzipTooMuch {
		return &ingest.Message{Err: ingest.ErrTooLarge,
			VI: fmt.Sprintf("tệp nén gzip giải nén ra quá giới hạn của wardstat (%s, hoặc %d lần cỡ tệp nén khi quá %s); hãy giải nén và kiểm tra tệp", ingest.BytesText(uint64(maxGunzipped)), gzipRatio, ingest.BytesText(uint64(gzipRatioFrom))),
			EN: fmt.Sprintf("the gzip-compressed file unpacks past wardstat's limit (%s, or %d times its packed size past %s); unpack it and check it", ingest.BytesText(uint64(maxGunzipped)), gzipRatio, ingest.BytesText(uint64(gzipRatioFrom)))}
	}
	return &ingest.Message{
		VI:  fmt.Sprintf("tệp nén gzip không giải nén được (%v): tệp bị cắt hoặc hỏng; hãy tải hoặc xuất lại", err),
		EN:  fmt.Sprintf("the gzip-compressed file cannot be unpacked (%v): it is cut short or broken; download or export it again", err),
		Err: ingest.ErrUnsupported,
	}
}
