package core

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/storage"
)

// compareImage is the reference photo as the caller gave it: base64 inline, or the
// bytes of a bucket object. It is checked once, by the flow that uses it.
type compareImage struct {
	b64   string // inline
	bytes []byte // from the bucket
}

// msgInvalidImage is what a caller is told about a compare image Tencent would refuse.
const msgInvalidImage = "The compare image must be a JPEG, PNG or BMP image in base64 without a data: prefix."

// loadImage fills in the compare image from the request or the bucket, within the caps.
func (s *Service) loadImage(ctx context.Context, p *plan) error {
	o := p.opts
	switch {
	case o.CompareImage != "":
		if len(o.CompareImage) > MaxInlineImageBase64 {
			return errorf(CodeImageTooLarge, "compareImage is larger than %d base64 characters; upload it to the bucket and pass compareImageKey.", MaxInlineImageBase64)
		}
		p.image, p.imageSource = compareImage{b64: o.CompareImage}, "inline"
	case o.CompareImageKey != "":
		if len(s.cfg.CompareImagePrefixes) == 0 {
			return errorf(CodeInvalidOption, "compareImageKey is not enabled on this deployment.")
		}
		if !s.allowedImageKey(o.CompareImageKey) {
			return errorf(CodeInvalidOption, "compareImageKey must name an object under an allowed prefix.")
		}
		raw, err := s.store.Get(ctx, o.CompareImageKey)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			return errorf(CodeImageNotFound, "There is no object at compareImageKey.")
		case errors.Is(err, storage.ErrTooLarge):
			return errorf(CodeImageTooLarge, "The object at compareImageKey is too large.")
		case err != nil:
			return storeError("read compare image", err)
		}
		if base64.StdEncoding.EncodedLen(len(raw)) > faceid.MaxCompareImageBase64 {
			return errorf(CodeImageTooLarge, "The object at compareImageKey is larger than Tencent's 8 MB base64 limit.")
		}
		p.image, p.imageSource = compareImage{bytes: raw}, "object"
	}
	return nil
}

func (s *Service) allowedImageKey(key string) bool {
	if !validObjectKey(key) {
		return false
	}
	for _, prefix := range s.cfg.CompareImagePrefixes {
		if strings.HasPrefix(key, prefix) && len(key) > len(prefix) {
			return true
		}
	}
	return false
}

// validObjectKey accepts the keys every store accepts (storage.CheckKey) that are also
// made of letters, digits and "-_./" only: a key that comes from a caller stays plain ASCII.
func validObjectKey(key string) bool {
	return storage.CheckKey(key) == nil && !strings.ContainsFunc(key, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./", c))
	})
}
