// Package cosstore keeps session records and media in a Tencent Cloud COS bucket through
// cos-go-sdk-v5. Create-only writes send x-cos-forbid-overwrite: true, so COS itself
// refuses a second writer of a key (409 FileAlreadyExists); that header has no effect on
// a bucket that has ever had versioning enabled, so session buckets must never enable it.
package cosstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/facegate/facegate/pkg/storage"

	"github.com/tencentyun/cos-go-sdk-v5"
)

// Server-side encryption settings for Options.SSE.
const (
	// SSECOS encrypts with COS-managed keys (SSE-COS, AES256); the default.
	SSECOS = "AES256"
	// SSENone sends no encryption header; the bucket's default encryption still applies.
	SSENone = "none"
)

// MaxMediaTTL is the longest lifetime MediaURL grants.
const MaxMediaTTL = 7 * 24 * time.Hour

// Options configures a Store.
type Options struct {
	// SSE is SSECOS (when empty) or SSENone.
	SSE string
}

// Store is a storage.Store and storage.MediaStore on one COS bucket. It is safe for concurrent
// use. Retries and credentials are the *cos.Client's; see NewFromConfig and Transport.
type Store struct {
	client *cos.Client
	sse    string
}

var (
	_ storage.Store      = (*Store)(nil)
	_ storage.MediaStore = (*Store)(nil)
)

// crcTable is CRC-64/ECMA-182 as COS computes it for x-cos-hash-crc64ecma (reflected,
// which is what Go's crc64.ECMA table implements).
var crcTable = crc64.MakeTable(crc64.ECMA)

// New returns a Store using client, whose BaseURL.BucketURL names the bucket.
func New(client *cos.Client, opts Options) (*Store, error) {
	if client == nil || client.BaseURL == nil || client.BaseURL.BucketURL == nil {
		return nil, errors.New("cosstore: client has no bucket URL")
	}
	s := &Store{client: client}
	switch opts.SSE {
	case "", SSECOS:
		s.sse = SSECOS
	case SSENone:
	default:
		return nil, fmt.Errorf("cosstore: SSE %q is not %q or %q", opts.SSE, SSECOS, SSENone)
	}
	return s, nil
}

// Create writes data under key only if no object exists there. COS answers 409
// FileAlreadyExists (or 412) when one does, and the store returns storage.ErrExists. The SDK
// retries a PUT after a 5xx or a lost connection; should the first attempt have landed
// after all, the retry meets our own object and reports ErrExists, which the core treats
// like losing a race: it reads the stored copy, here its own.
func (s *Store) Create(ctx context.Context, key string, data []byte) error {
	if err := storage.CheckKey(key); err != nil {
		return err
	}
	if len(data) > storage.MaxObjectSize {
		return fmt.Errorf("cosstore: create %q: %w", key, storage.ErrTooLarge)
	}
	opt := &cos.ObjectPutOptions{ObjectPutHeaderOptions: &cos.ObjectPutHeaderOptions{
		ContentLength:            int64(len(data)),
		XCosServerSideEncryption: s.sse,
		XOptionHeader:            &http.Header{"X-Cos-Forbid-Overwrite": {"true"}},
	}}
	_, err := s.client.Object.Put(ctx, key, bytes.NewReader(data), opt)
	if err != nil {
		if status, code := responseOf(err); (status == http.StatusConflict && code == "FileAlreadyExists") || status == http.StatusPreconditionFailed {
			return fmt.Errorf("cosstore: create %q: %w", key, storage.ErrExists)
		}
		return wrap(ctx, "create", key, err)
	}
	return nil
}

// Get returns the object under key. A missing object is storage.ErrNotFound; a missing
// bucket stays a plain error, so that a wrong bucket name never looks like "no such
// session". Objects over storage.MaxObjectSize are refused from their Content-Length before
// any of the body is read. When COS sends x-cos-hash-crc64ecma and the client has CRC
// checks on (the SDK checks uploads only), the body is checked against it too.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := storage.CheckKey(key); err != nil {
		return nil, err
	}
	resp, err := s.client.Object.Get(ctx, key, nil)
	if err != nil {
		if status, code := responseOf(err); status == http.StatusNotFound && code != "NoSuchBucket" {
			return nil, fmt.Errorf("cosstore: get %q: %w", key, storage.ErrNotFound)
		}
		return nil, wrap(ctx, "get", key, err)
	}
	defer resp.Body.Close()
	data, err := storage.ReadCapped(resp.Body, resp.ContentLength)
	if errors.Is(err, storage.ErrTooLarge) {
		return nil, fmt.Errorf("cosstore: get %q: %w", key, err)
	}
	if err != nil {
		return nil, wrap(ctx, "get", key, err)
	}
	if want := resp.Header.Get("x-cos-hash-crc64ecma"); want != "" && s.client.Conf.EnableCRC {
		if got := strconv.FormatUint(crc64.Checksum(data, crcTable), 10); got != want {
			return nil, fmt.Errorf("cosstore: get %q: body CRC64 %s does not match x-cos-hash-crc64ecma %s", key, got, want)
		}
	}
	return data, nil
}

// Delete removes the object under key. COS answers 204 whether or not an object was
// there; a 404 for the key is also success, but a missing bucket (404 NoSuchBucket)
// stays an error. The SDK retries a 5xx or a lost connection, which is safe because a
// repeated delete is a no-op.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := storage.CheckKey(key); err != nil {
		return err
	}
	if _, err := s.client.Object.Delete(ctx, key); err != nil {
		if status, code := responseOf(err); status == http.StatusNotFound && code != "NoSuchBucket" {
			return nil
		}
		return wrap(ctx, "delete", key, err)
	}
	return nil
}

// List pages with GET Bucket (ListObjects): prefix, marker = after, max-keys one more
// than still wanted, then the last key of each truncated answer as the next marker,
// until it holds limit+1 keys or COS has no more (see storage.ListPages). A List of
// fewer than 1000 keys is one LIST request when the bucket holds only keys the store
// could have written.
func (s *Store) List(ctx context.Context, prefix, after string, limit int) ([]string, bool, error) {
	if err := storage.CheckList(prefix, limit); err != nil {
		return nil, false, err
	}
	opt := &cos.BucketGetOptions{Prefix: prefix, Marker: after}
	keys, more, err := storage.ListPages(limit, func(maxKeys int) ([]string, bool, error) {
		opt.MaxKeys = maxKeys
		res, _, err := s.client.Bucket.Get(ctx, opt)
		if err != nil {
			return nil, false, err
		}
		page := make([]string, 0, len(res.Contents))
		for _, o := range res.Contents {
			page = append(page, o.Key)
		}
		if res.IsTruncated {
			switch {
			case len(page) > 0:
				opt.Marker = page[len(page)-1]
			case res.NextMarker != "":
				opt.Marker = res.NextMarker
			default:
				return nil, false, errors.New("a truncated answer with neither keys nor a next marker")
			}
		}
		return page, res.IsTruncated, nil
	})
	if err != nil {
		return nil, false, wrap(ctx, "list", prefix, err)
	}
	return keys, more, nil
}

// PutMedia writes (or replaces) a media object. size must be known (COS needs the
// length up front); the SDK checks the CRC64 COS reports for the upload.
func (s *Store) PutMedia(ctx context.Context, key string, body io.Reader, size int64, contentType string) error {
	if err := storage.CheckKey(key); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("cosstore: put media %q: size is unknown", key)
	}
	opt := &cos.ObjectPutOptions{ObjectPutHeaderOptions: &cos.ObjectPutHeaderOptions{
		ContentType:              contentType,
		ContentLength:            size,
		XCosServerSideEncryption: s.sse,
	}}
	if _, err := s.client.Object.Put(ctx, key, body, opt); err != nil {
		return wrap(ctx, "put media", key, err)
	}
	return nil
}

// MediaURL returns a presigned GET URL for key, valid for ttl, signed with the keys the
// client's transport holds now (with temporary keys, the token travels in the URL and
// the link also dies with it).
func (s *Store) MediaURL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := storage.CheckKey(key); err != nil {
		return "", err
	}
	if ttl <= 0 || ttl > MaxMediaTTL {
		return "", fmt.Errorf("cosstore: media link lifetime %v is outside (0, %v]", ttl, MaxMediaTTL)
	}
	u, err := s.client.Object.GetPresignedURL2(ctx, http.MethodGet, key, ttl, nil)
	if err != nil {
		return "", fmt.Errorf("cosstore: presign %q: %w", key, err)
	}
	return u.String(), nil
}

// responseOf returns the HTTP status and COS error code of a failed call, zero if the
// call got no answer.
func responseOf(err error) (status int, code string) {
	var e *cos.ErrorResponse
	if errors.As(err, &e) && e.Response != nil {
		return e.Response.StatusCode, e.Code
	}
	return 0, ""
}

// wrap adds the operation and key to an error that is not one of core's answers. When
// the caller's context ended, that is the cause worth matching with errors.Is: the SDK
// folds it into a retry summary that errors.Is cannot see through.
func wrap(ctx context.Context, op, key string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("cosstore: %s %q: %w: %w", op, key, cerr, err)
	}
	return fmt.Errorf("cosstore: %s %q: %w", op, key, err)
}
