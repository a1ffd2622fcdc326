package transform

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"wardstat/internal/msg"
)

// KeyEnv names the environment variable that holds the applicant-hash key.
const KeyEnv = "WARDSTAT_PII_KEY"

// Hasher turns an applicant's identity into a stable keyed hash: the same
// person gives the same key within one install (or one shared key), and the
// key cannot be reversed without the secret. Not safe for concurrent use.
type Hasher struct {
	key []byte
	mac hash.Hash
	buf []byte
	sum []byte
	// shaped remembers which texts are shaped like their field (MaskCell).
	shaped map[shapeKey]bool
}

// NewHasher returns a Hasher for a secret key.
func NewHasher(key []byte) *Hasher {
	return &Hasher{key: key, mac: hmac.New(sha256.New, key)}
}

// Clone returns a Hasher with the same key, for another goroutine.
func (h *Hasher) Clone() *Hasher { return NewHasher(h.key) }

// LoadKey returns the key from WARDSTAT_PII_KEY, else from keyFile, which is
// created with a fresh random key (mode 0600) when it does not exist yet.
func LoadKey(keyFile string) ([]byte, error) {
	if k := os.Getenv(KeyEnv); k != "" {
		return []byte(k), nil
	}
	if b, err := os.ReadFile(keyFile); err == nil {
		k := strings.TrimSpace(string(b))
		if k == "" {
			return nil, msg.Errorf("tệp khóa băm người nộp %s trống: hãy xoá để tạo khóa mới, hoặc đặt %s", "applicant-hash key file %s is empty: delete it to make a new key, or set %s", keyFile, KeyEnv)
		}
		return []byte(k), nil
	} else if !os.IsNotExist(err) {
		return nil, fmt.Errorf("reading applicant-hash key: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("making applicant-hash key: %w", err)
	}
	k := hex.EncodeToString(raw)
	if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
		return nil, fmt.Errorf("making applicant-hash key: %w", err)
	}
	if err := os.WriteFile(keyFile, []byte(k+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("writing applicant-hash key: %w", err)
	}
	return []byte(k), nil
}

// KeyBytes is how much of the HMAC an applicant key keeps: 128 bits, as
// hex. Collisions among hundreds of millions of people stay improbable
// (about 1 in 10^21), and the key is half the bytes of the whole HMAC.
const KeyBytes = 16

// ApplicantKey hashes the strongest identity among the given values: an ID
// number, else a phone number, else an e-mail, else a name (folded so that
// "NGUYỄN  Văn A" and "nguyễn văn a" agree), and keeps the first KeyBytes
// of the HMAC-SHA256, as hex. Empty when all are empty.
func (h *Hasher) ApplicantKey(id, phone, email, name string) string {
	key, ok := h.AppendApplicantKey(nil, id, phone, email, name)
	if !ok {
		return ""
	}
	return string(key)
}

// AppendApplicantKey appends ApplicantKey's hex digits to dst, without
// allocating; ok is false (and dst unchanged) when all values are empty.
func (h *Hasher) AppendApplicantKey(dst []byte, id, phone, email, name string) ([]byte, bool) {
	b := h.buf[:0]
	switch {
	case hasDigit(id):
		b = append(b, "id:"...)
		for _, r := range id {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				b = utf8.AppendRune(b, unicode.ToUpper(r))
			}
		}
	case hasDigit(phone):
		b = append(b, "phone:"...)
		start := len(b)
		for i := 0; i < len(phone); i++ {
			if c := phone[i]; c >= '0' && c <= '9' {
				b = append(b, c)
			}
		}
		// +84 / 84 / 0 prefixes fold to one form.
		d := b[start:]
		switch {
		case len(d) >= 11 && d[0] == '8' && d[1] == '4':
			d[1] = '0'
			b = append(b[:start], d[1:]...)
		case len(d) == 9 && d[0] != '0':
			b = append(b, 0)
			copy(b[start+1:], b[start:])
			b[start] = '0'
		}
	case strings.TrimSpace(email) != "":
		b = append(b, "email:"...)
		for _, r := range strings.TrimSpace(email) {
			b = utf8.AppendRune(b, unicode.ToLower(r))
		}
	case strings.TrimSpace(name) != "":
		b = append(b, "name:"...)
		start, space := len(b), false
		for _, r := range name {
			if unicode.IsSpace(r) {
				space = true
				continue
			}
			if space && len(b) > start {
				b = append(b, ' ')
			}
			space = false
			b = utf8.AppendRune(b, unicode.ToLower(r))
		}
	default:
		return dst, false
	}
	h.buf = b
	h.mac.Reset()
	h.mac.Write(b)
	h.sum = h.mac.Sum(h.sum[:0])
	return hex.AppendEncode(dst, h.sum[:KeyBytes]), true
}

// Fingerprint identifies the key without revealing it: the HMAC of a fixed
// text. Two hashers with the same fingerprint give the same keys.
func (h *Hasher) Fingerprint() string {
	mac := hmac.New(sha256.New, h.key)
	mac.Write([]byte("wardstat applicant-key fingerprint"))
	return hex.EncodeToString(mac.Sum(nil)[:KeyBytes])
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}
	return false
}
