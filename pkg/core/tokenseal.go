package core

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A session record keeps its BizToken sealed, so that the sweeper can ask Tencent for the
// result of a user who never came back, while a copy of the bucket alone reveals no token.
// A sealed token is
//
//	v1.<key id>.<base64url(nonce || AES-256-GCM ciphertext)>
//
// under the key SHA-256(secret), with the token's hash as additional data: a sealed token
// moved to another session's record does not open. The key id (8 hex digits of a hash of
// the secret, never the key) picks the secret, so keys rotate by listing a new one first.

// errSealedToken is every failure to open a sealed token; the reasons are not told apart.
var errSealedToken = errors.New("sealed token does not open")

type tokenSealer struct {
	keys []sealKey // the first seals
}

type sealKey struct {
	id   string
	aead cipher.AEAD
}

func newTokenSealer(secrets [][]byte) (*tokenSealer, error) {
	t := &tokenSealer{}
	for _, secret := range secrets {
		key := sha256.Sum256(secret)
		block, err := aes.NewCipher(key[:])
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		idSum := sha256.Sum256(append([]byte("facegate-token-key-id/v1\n"), secret...))
		t.keys = append(t.keys, sealKey{id: hex.EncodeToString(idSum[:4]), aead: aead})
	}
	if len(t.keys) == 0 {
		return nil, errors.New("no token key")
	}
	return t, nil
}

func tokenAAD(hash string) string { return "facegate-token/v1\n" + hash }

// seal encrypts token for the session named hash, with a fresh nonce from random.
func (t *tokenSealer) seal(token, hash string, random io.Reader) (string, error) {
	return t.sealData([]byte(token), tokenAAD(hash), random)
}

// open decrypts a sealed token of the session named hash.
func (t *tokenSealer) open(sealed, hash string) (string, error) {
	plain, err := t.openData(sealed, tokenAAD(hash))
	if err != nil || !validToken(string(plain)) || tokenHash(string(plain)) != hash {
		return "", errSealedToken
	}
	return string(plain), nil
}

// sealData encrypts plain bound to aad (what it is and whose): the token of a session,
// an idempotent start's answer, which holds a token.
func (t *tokenSealer) sealData(plain []byte, aad string, random io.Reader) (string, error) {
	k := t.keys[0]
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	if _, err := io.ReadFull(random, nonce); err != nil {
		return "", fmt.Errorf("seal nonce: %w", err)
	}
	sealed := k.aead.Seal(nonce, nonce, plain, []byte(aad))
	return "v1." + k.id + "." + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// openData decrypts what sealData sealed with the same aad.
func (t *tokenSealer) openData(sealed, aad string) ([]byte, error) {
	version, rest, ok := strings.Cut(sealed, ".")
	if !ok || version != "v1" {
		return nil, errSealedToken
	}
	id, body, ok := strings.Cut(rest, ".")
	if !ok {
		return nil, errSealedToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, errSealedToken
	}
	for _, k := range t.keys {
		if k.id != id || len(raw) < k.aead.NonceSize() {
			continue
		}
		if plain, err := k.aead.Open(nil, raw[:k.aead.NonceSize()], raw[k.aead.NonceSize():], []byte(aad)); err == nil {
			return plain, nil
		}
	}
	return nil, errSealedToken
}
