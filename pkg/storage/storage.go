// Package storage declares what a session store is: a small object store of create-only
// writes, reads, deletes and ordered listing (Store), its optional media extension
// (MediaStore), the errors every adapter translates its vendor errors into, and the key
// rules all of them share. It imports only the standard library, so a store adapter or a
// test server depends on nothing else of the product, and nothing of Tencent's SDK.
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
// Implementations are safe for concurrent use, by several goroutines and by several
// processes (function instances) sharing one bucket or folder. Keys are slash-separated
// and never contain a BizToken (the core derives them from a hash).
//
// Records are never updated in place: a session is created once at start, and its terminal
// result is a second object written once with Create. Racing writers of the same terminal
// result see ErrExists and read the winner's copy, so a terminal status is never
// downgraded and every store offers the same guarantee with one primitive. Delete ends a
// record's life (retention, erasure); List finds records by key prefix, in key order,
// so a key that starts with a sortable time is a due index.
//
// Every method returns ErrInvalidKey for a key (or prefix) CheckKey (or CheckPrefix)
// refuses, before contacting the backend, and the context's error when ctx ends first.
// Any other error is a failure of the backend (unreachable, overloaded, refused
// credentials, a missing bucket) and never one of this package's sentinel errors, so an
// outage is never mistaken for an answer.
type Store interface {
	// Create writes data under key only if no object exists there; otherwise it
	// returns ErrExists and leaves the existing object untouched. It returns
	// ErrTooLarge, writing nothing, for data over MaxObjectSize. A failed Create never
	// leaves a partial object visible to Get.
	Create(ctx context.Context, key string, data []byte) error
	// Get returns the whole object under key, ErrNotFound if there is none, or
	// ErrTooLarge if it is larger than MaxObjectSize.
	Get(ctx context.Context, key string) ([]byte, error)
	// Delete removes the object under key. A key with no object is not an error:
	// deletes are idempotent, so a retried or racing delete succeeds. Other failures
	// are the backend's; nothing is ever partly deleted: after a failed Delete, Get
	// returns either the whole object or ErrNotFound.
	Delete(ctx context.Context, key string) error
	// List returns, in ascending byte order, at most limit keys that start with prefix
	// and sort strictly after `after` ("" starts at the beginning), and whether more
	// such keys remain; when more is true, keys holds exactly limit of them. To page,
	// pass the last key returned as the next call's after. Keys are whole (prefix
	// included) and each passes CheckKey, so Get and Delete accept it; objects
	// written around the store under keys CheckKey refuses are skipped. prefix must
	// pass CheckPrefix and limit be in 1..MaxListLimit (a plain error otherwise). A
	// failed List returns no keys. A listing is not a snapshot: a key created or
	// deleted while a caller pages may or may not appear.
	List(ctx context.Context, prefix, after string, limit int) (keys []string, more bool, err error)
}

// MaxListLimit is the largest limit List accepts: the most keys S3 and COS return in
// one LIST request (which they bill as one request).
const MaxListLimit = 1000

// MediaStore is implemented by stores that can also keep verification media (best frame,
// video, document images) and hand out short-lived links to them. It is optional: media
// is stored only when the deployment asks for it. Media objects share the Store's key
// space, so the same store's List finds them and its Delete removes them.
// Implementations are safe for concurrent use.
type MediaStore interface {
	// PutMedia writes (or replaces) a media object of the given content type. It
	// returns ErrInvalidKey for a key CheckKey refuses.
	PutMedia(ctx context.Context, key string, body io.Reader, size int64, contentType string) error
	// MediaURL returns a link that lets its holder GET the object until ttl has passed.
	// It returns ErrInvalidKey for a key CheckKey refuses.
	MediaURL(ctx context.Context, key string, ttl time.Duration) (string, error)
}
