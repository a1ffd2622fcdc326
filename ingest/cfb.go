package ingest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf16"

	"wardstat/internal/msg"
)

// checkCFB checks the container of an .xls workbook (Microsoft's compound
// file, [MS-CFB]) before the decoder reads it: the decoder follows the
// container's sector chains without looking, so a damaged file with a
// chain that loops made it read forever, and a stream size out of bounds
// made it allocate up to 4 GB. The chains it follows (the directory's, the
// FAT's and the workbook stream's) must stay inside the file, end, and
// hold the stream.
func checkCFB(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	var hdr [512]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return errDamagedCFB("tệp ngắn hơn phần đầu của nó", "it is shorter than its header")
	}
	le := binary.LittleEndian
	shift := le.Uint16(hdr[0x1E:])
	if shift != 9 && shift != 12 {
		return errDamagedCFB(fmt.Sprintf("cỡ sector 2^%d", shift), fmt.Sprintf("sector size 2^%d", shift))
	}
	size := int64(1) << shift
	sectors := uint32(max(0, (st.Size()-size+size-1)/size)) // after the header's sector
	read := func(id uint32) ([]byte, error) {
		if id >= sectors {
			return nil, errDamagedCFB(fmt.Sprintf("sector %d nằm ngoài cuối tệp", id), fmt.Sprintf("sector %d is past the end of the file", id))
		}
		b := make([]byte, size)
		n, err := f.ReadAt(b, (int64(id)+1)*size)
		if err != nil && !(errors.Is(err, io.EOF) && n > 0) {
			return nil, err
		}
		return b, nil
	}
	// The FAT's sectors: 109 listed in the header, the rest in the DIFAT
	// chain.
	numFAT := le.Uint32(hdr[0x2C:])
	numDIFAT := le.Uint32(hdr[0x48:])
	if numFAT > sectors || numDIFAT > sectors {
		return errDamagedCFB("nhiều sector FAT hơn số tệp chứa", "more FAT sectors than the file holds")
	}
	var fatSectors []uint32
	for i := range min(numFAT, 109) {
		fatSectors = append(fatSectors, le.Uint32(hdr[0x4C+4*i:]))
	}
	next := le.Uint32(hdr[0x44:])
	for i := uint32(0); i < numDIFAT && uint32(len(fatSectors)) < numFAT; i++ {
		b, err := read(next)
		if err != nil {
			return err
		}
		for j := int64(0); j < size/4-1 && uint32(len(fatSectors)) < numFAT; j++ {
			fatSectors = append(fatSectors, le.Uint32(b[4*j:]))
		}
		next = le.Uint32(b[size-4:])
	}
	fat := make([]uint32, 0, int64(len(fatSectors))*size/4)
	for _, id := range fatSectors {
		b, err := read(id)
		if err != nil {
			return err
		}
		for j := int64(0); j < size/4; j++ {
			fat = append(fat, le.Uint32(b[4*j:]))
		}
	}
	const endOfChain = 0xFFFFFFFE
	chain := func(start uint32) ([]uint32, error) {
		var ids []uint32
		seen := map[uint32]bool{}
		for id := start; id != endOfChain; id = fat[id] {
			if id >= sectors || int(id) >= len(fat) || seen[id] {
				return nil, errDamagedCFB(fmt.Sprintf("một chuỗi sector ra ngoài tệp hoặc lặp ở sector %d", id), fmt.Sprintf("a sector chain runs out of the file or loops at sector %d", id))
			}
			seen[id] = true
			ids = append(ids, id)
		}
		return ids, nil
	}
	dirs, err := chain(le.Uint32(hdr[0x30:]))
	if err != nil {
		return err
	}
	for _, id := range dirs {
		b, err := read(id)
		if err != nil {
			return err
		}
		for e := int64(0); e+128 <= size; e += 128 {
			entry := b[e : e+128]
			n := min(int(le.Uint16(entry[0x40:])), 64) / 2
			if n == 0 || entry[0x42] != 2 { // a stream
				continue
			}
			units := make([]uint16, n)
			for k := range units {
				units[k] = le.Uint16(entry[2*k:])
			}
			name := string(utf16.Decode(units))
			if name != "Workbook\x00" && name != "Book\x00" {
				continue
			}
			streamSize := int64(le.Uint32(entry[0x78:]))
			if streamSize > st.Size() {
				return errDamagedCFB(fmt.Sprintf("luồng sổ tính ghi là có %d byte, nhiều hơn cả tệp", streamSize), fmt.Sprintf("the workbook stream says it holds %d bytes, more than the file", streamSize))
			}
			if streamSize < int64(le.Uint32(hdr[0x38:])) {
				// A workbook of under 4 KB lives in the mini stream, in
				// 64-byte sectors chained by the mini FAT, which the
				// decoder reads from consecutive sectors.
				numMini, first := le.Uint32(hdr[0x40:]), le.Uint32(hdr[0x3C:])
				if numMini > sectors {
					return errDamagedCFB("nhiều sector mini FAT hơn số tệp chứa", "more mini FAT sectors than the file holds")
				}
				var mini []uint32
				for k := range numMini {
					b, err := read(first + k)
					if err != nil {
						return err
					}
					for j := int64(0); j < size/4; j++ {
						mini = append(mini, le.Uint32(b[4*j:]))
					}
				}
				seen := map[uint32]bool{}
				for id := le.Uint32(entry[0x74:]); id != endOfChain; id = mini[id] {
					if int(id) >= len(mini) || seen[id] {
						return errDamagedCFB(fmt.Sprintf("chuỗi của luồng mini ra ngoài tệp hoặc lặp ở %d", id), fmt.Sprintf("the mini stream's chain runs out or loops at %d", id))
					}
					seen[id] = true
				}
				return nil
			}
			ids, err := chain(le.Uint32(entry[0x74:]))
			if err != nil {
				return err
			}
			if int64(len(ids))*size < streamSize {
				return errDamagedCFB("luồng sổ tính bị cắt cụt", "the workbook stream is cut short")
			}
			return checkXLSCells(&sectorReader{f: f, ids: ids, size: size, left: streamSize})
		}
	}
	return msg.Errorf("tệp không chứa sổ Excel 97-2003 (sổ có mật khẩu, hoặc một tài liệu Office khác?): %w; hãy gỡ mật khẩu, hoặc lưu lại dạng .xlsx",
		"the file holds no Excel 97-2003 workbook (a workbook with a password, or another Office document?): %w; remove the password, or save it as .xlsx", ErrUnsupported)
}

// errDamagedCFB says what is wrong in a damaged .xls, given in both
// languages (already formatted: no % in them).
func errDamagedCFB(vi, en string) error {
	return msg.Errorf("sổ .xls bị hỏng (%v); hãy mở bằng Excel hoặc LibreOffice rồi lưu dạng .xlsx, hoặc xuất lại",
		"the .xls workbook is damaged (%v); open it in Excel or LibreOffice and save it as .xlsx, or export it again", msg.Errorf(vi, en))
}

// maxXLSCells bounds the cells of an .xls workbook: its decoder holds
// every cell of every sheet at once, ~550 bytes a cell (a full sheet of
// 60 k rows by 14 columns peaks at 430-490 MiB), and a row of 256 blank
// cells takes 522 bytes of the file (MULBLANK), so a 34 MB file could ask
// for 8 GB. Tests lower it.
var maxXLSCells int64 = 1_500_000

// checkXLSCells counts the cells the workbook stream's records hold, and
// refuses a workbook past maxXLSCells before the decoder reads it.
func checkXLSCells(stream io.Reader) error {
	r := bufio.NewReaderSize(stream, 64<<10)
	le := binary.LittleEndian
	var cells int64
	var hdr [4]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil // the end, or a record cut short: the decoder says
		}
		kind, length := le.Uint16(hdr[:]), int(le.Uint16(hdr[2:]))
		switch kind {
		case 0x00FD, 0x0203, 0x027E, 0x0201, 0x0205, 0x0006, 0x0204, 0x00D6: // one cell each
			cells++
		case 0x00BD: // MULRK: 6 bytes a cell
			cells += int64(max(0, length-6) / 6)
		case 0x00BE: // MULBLANK: 2 bytes a cell
			cells += int64(max(0, length-6) / 2)
		}
		if cells > maxXLSCells {
			return tooLarge(
				fmt.Sprintf("sổ tính .xls có hơn %d ô, quá giới hạn của wardstat (bộ đọc .xls giữ mọi ô trong bộ nhớ); hãy mở bằng Excel hoặc LibreOffice và lưu thành .xlsx", maxXLSCells),
				fmt.Sprintf("the .xls workbook holds over %d cells, past wardstat's limit (the .xls decoder holds every cell in memory); open it in Excel or LibreOffice and save it as .xlsx", maxXLSCells))
		}
		if _, err := r.Discard(length); err != nil {
			return nil
		}
	}
}

// sectorReader reads a stream of a compound file along its sector chain.
type sectorReader struct {
	f    *os.File
	ids  []uint32
	size int64
	left int64 // bytes of the stream not yet read
	off  int64 // offset in the current sector
}

func (s *sectorReader) Read(p []byte) (int, error) {
	if s.left <= 0 || len(s.ids) == 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), s.size-s.off, s.left))
	n, err := s.f.ReadAt(p[:n], (int64(s.ids[0])+1)*s.size+s.off)
	s.off += int64(n)
	s.left -= int64(n)
	if s.off == s.size {
		s.ids, s.off = s.ids[1:], 0
	}
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}
