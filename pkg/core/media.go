package core

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/storage"
)

// mediaItem is one image or video of a result, still base64 as Tencent sent it, on its
// way to the store.
type mediaItem struct {
	name string
	data string
}

// mediaOf lists the media of a result answer. They are biometric or identity data: they
// are stored only when the deployment asks for it and are never logged or returned inline.
func mediaOf(r *faceid.GetWebVerificationResultIntlResponse) []mediaItem {
	var out []mediaItem
	add := func(name string, p *string) {
		if p != nil && *p != "" {
			out = append(out, mediaItem{name: name, data: *p})
		}
	}
	add("best-frame", r.BestFrameBase64)
	add("video", r.VideoBase64)
	for i, o := range r.OCRResult {
		prefix := fmt.Sprintf("document-%d-", i+1)
		add(prefix+"card", o.CardImageBase64)
		add(prefix+"card-back", o.CardBackImageBase64)
		add(prefix+"card-cut", o.CardCutImageBase64)
		add(prefix+"card-back-cut", o.CardBackCutImageBase64)
		add(prefix+"head", o.HeadImageBase64)
	}
	return out
}

// putMedia stores each item under media/<token hash>/<name>. Overwriting is fine: racing
// writers store the same bytes.
func (s *Service) putMedia(ctx context.Context, hash string, items []mediaItem) ([]mediaRef, error) {
	refs := make([]mediaRef, 0, len(items))
	for _, it := range items {
		data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(it.data))
		if err != nil {
			// A malformed item is Tencent's problem; skip it rather than lose the result.
			s.log.WarnContext(ctx, "media item is not valid base64; not stored", "session", shortHash(hash), "media", it.name)
			continue
		}
		ct := http.DetectContentType(data)
		key := mediaPrefix(hash) + it.name + extensionOf(ct)
		if err := s.media.PutMedia(ctx, key, bytes.NewReader(data), int64(len(data)), ct); err != nil {
			return nil, storeError("store media", err)
		}
		refs = append(refs, mediaRef{Name: it.name, Key: key, ContentType: ct, Size: int64(len(data))})
	}
	return refs, nil
}

func extensionOf(contentType string) string {
	switch {
	case strings.HasPrefix(contentType, "image/jpeg"):
		return ".jpg"
	case strings.HasPrefix(contentType, "image/png"):
		return ".png"
	case strings.HasPrefix(contentType, "image/bmp"):
		return ".bmp"
	case strings.HasPrefix(contentType, "video/mp4"):
		return ".mp4"
	case strings.HasPrefix(contentType, "video/webm"):
		return ".webm"
	default:
		return ".bin"
	}
}

// MediaLink is a short-lived link to one stored media object.
type MediaLink struct {
	Name        string    `json:"name"`
	ContentType string    `json:"contentType"`
	Size        int64     `json:"size"`
	URL         string    `json:"url"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

func (s *Service) mediaLinks(ctx context.Context, refs []mediaRef) ([]MediaLink, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	ms, ok := s.store.(storage.MediaStore)
	if !ok {
		return nil, nil
	}
	exp := s.now().Add(s.cfg.MediaURLTTL).UTC()
	links := make([]MediaLink, 0, len(refs))
	for _, r := range refs {
		u, err := ms.MediaURL(ctx, r.Key, s.cfg.MediaURLTTL)
		if err != nil {
			return nil, storeError("media link", err)
		}
		links = append(links, MediaLink{Name: r.Name, ContentType: r.ContentType, Size: r.Size, URL: u, ExpiresAt: exp})
	}
	return links, nil
}
