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
			return nil, fmt.Errorf("applicant-hash key file %s is empty: delete it to make a new key, or set %s", keyFile, KeyEnv)
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

// ApplicantKey hashes the strongest identity among the given values: an ID
// number, else a phone number, else an e-mail, else a name (folded so that
// "NGUYỄN  Văn A" and "nguyễn văn a" agree). Empty when all are empty.
func (h *Hasher) ApplicantKey(id, phone, email, name string) string {
	var kind, v string
	switch {
	case digitsOnly(id) != "":
		kind, v = "id", strings.ToUpper(alnumOnly(id))
	case digitsOnly(phone) != "":
		kind, v = "phone", normalisePhone(phone)
	case strings.TrimSpace(email) != "":
		kind, v = "email", strings.ToLower(strings.TrimSpace(email))
	case strings.TrimSpace(name) != "":
		kind, v = "name", strings.ToLower(strings.Join(strings.Fields(name), " "))
	default:
		return ""
	}
	h.mac.Reset()
	h.buf = append(append(append(h.buf[:0], kind...), ':'), v...)
	h.mac.Write(h.buf)
	return hex.EncodeToString(h.mac.Sum(nil))
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func alnumOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// normalisePhone folds +84 / 84 / 0 prefixes to one form.
func normalisePhone(s string) string {
	d := digitsOnly(s)
	switch {
	case strings.HasPrefix(d, "84") && len(d) >= 11:
		d = "0" + d[2:]
	case !strings.HasPrefix(d, "0") && len(d) == 9:
		d = "0" + d
	}
	return d
}
