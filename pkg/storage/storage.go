// Package storage declares what a session store is: a small create-only object store
// (Store), its optional media extension (MediaStore), the errors every adapter translates
// its vendor errors into, and the key rules all of them share. It imports only the
// standard library, so a store adapter or a test server depends on nothing else of the
// product, and nothing of Tencent's SDK.
package storage

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors a Store returns. Adapters translate vendor errors (COS NoSuchKey, S3 404,
// os.ErrNotExist, 412 Precondition Failed, ...) into these at their boundary, so the
// core tests errors.Is(err, ErrNotFound) and never a vendor type.
var (
	// ErrNotFound means no object exists under the key.
	ErrNotFound = errors.New("store: object not found")
	// ErrExists means a create-only write found an object already under the key.
	ErrExists = errors.New("store: object already exists")
	// ErrTooLarge means an object is larger than MaxObjectSize.
	ErrTooLarge = errors.New("store: object too large")
)

// MaxObjectSize caps what Get reads into memory: enough for a session record and for a
// compare image of Tencent's 8 MB base64 limit (about 6 MB of image bytes).
const MaxObjectSize = 12 << 20

// Store keeps session records and results as small immutable objects.
// Implementations are safe for concurrent use. Keys are slash-separated and never
// contain a BizToken (the core derives them from a hash).
//
// Records are never updated in place: a session is created once at start, and its terminal
// result is a second object written once with Create. Racing writers of the same terminal
// result see ErrExists and read the winner's copy, so a terminal status is never
// downgraded and every store offers the same guarantee with one primitive.
type Store interface {
	// Create writes data under key only if no object exists there; otherwise it
	// returns ErrExists and leaves the existing object untouched. A failed Create never
	// leaves a partial object visible to Get.
	Create(ctx context.Context, key string, data []byte) error
	// Get returns the whole object under key, ErrNotFound if there is none, or
	// ErrTooLarge if it is larger than MaxObjectSize.
	Get(ctx context.Context, key string) ([]byte, error)
}

// MaxListLimit is the largest limit List accepts: the most keys S3 and COS return in
// one LIST request (which they bill as one request).
const MaxListLimit = 1000

// MediaStore is implemented by stores that can also keep verification media (best frame,
// video, document images) and hand out short-lived links to them. It is optional: media
// is stored only when the deployment asks for it.
type MediaStore interface {
	// PutMedia writes (or replaces) a media object of the given content type.
	PutMedia(ctx context.Context, key string, body io.Reader, size int64, contentType string) error
	// MediaURL returns a link that lets its holder GET the object until ttl has passed.
	MediaURL(ctx context.Context, key string, ttl time.Duration) (string, error)
}
