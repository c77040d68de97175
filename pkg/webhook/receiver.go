package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// MaxBodyBytes is the largest body a Receiver reads (64 KiB). facegate's events are well
// under 2 KiB, so anything bigger is not one of them.
const MaxBodyBytes = 64 << 10

// Receiver is an http.Handler for the merchant's webhook endpoint. For a POST it reads the
// body (at most MaxBodyBytes), verifies the signature, decodes the event and calls Handle,
// then answers:
//   - 204 when Handle returned nil: the delivery is done and will not be retried;
//   - 400 for a bad signature or body, 413 for an oversized body, 405 for other methods;
//   - 500 when Handle returned an error, or when Secrets holds no secret, so that the
//     delivery is retried later.
//
// The answers carry no detail; set Refused to log why a delivery was turned down.
type Receiver struct {
	// Secrets are the webhook secrets accepted (any one of them signing is enough).
	Secrets []string
	// Handle is called once per verified delivery, with the request's context. It should
	// keep the event, keyed by its ID (redeliveries repeat it), and return nil, or return
	// an error to be sent the event again.
	Handle func(ctx context.Context, e Event) error
	// Now is the clock the signature's timestamp is checked against; nil is time.Now.
	Now func() time.Time
	// Refused, when set, is told about every delivery answered with other than 2xx: the
	// status sent and the reason, which may be Handle's own error.
	Refused func(r *http.Request, status int, err error)
}

// Handler returns a Receiver that verifies deliveries with secrets and passes their
// events to handle. Mount it on the URL configured as facegate's webhook URL.
func Handler(secrets []string, handle func(ctx context.Context, e Event) error) *Receiver {
	return &Receiver{Secrets: secrets, Handle: handle}
}

// ServeHTTP receives one delivery.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		rc.refuse(w, r, http.StatusMethodNotAllowed, fmt.Errorf("webhook: method %s, want POST", r.Method))
		return
	}
	if status, err := rc.receive(w, r); err != nil {
		rc.refuse(w, r, status, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// receive does the work of ServeHTTP and returns the status of a refusal with its reason.
func (rc *Receiver) receive(w http.ResponseWriter, r *http.Request) (int, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return http.StatusRequestEntityTooLarge, fmt.Errorf("webhook: body over %d bytes", MaxBodyBytes)
		}
		return http.StatusBadRequest, fmt.Errorf("webhook: read body: %w", err)
	}
	now := time.Now
	if rc.Now != nil {
		now = rc.Now
	}
	if err := Verify(body, r.Header.Get(SignatureHeader), rc.Secrets, now()); err != nil {
		if errors.Is(err, ErrNoSecret) {
			return http.StatusInternalServerError, err
		}
		return http.StatusBadRequest, err
	}
	e, err := ParseEvent(body)
	if err != nil {
		return http.StatusBadRequest, err
	}
	if rc.Handle != nil {
		if err := rc.Handle(r.Context(), e); err != nil {
			return http.StatusInternalServerError, err
		}
	}
	return 0, nil
}

func (rc *Receiver) refuse(w http.ResponseWriter, r *http.Request, status int, err error) {
	if rc.Refused != nil {
		rc.Refused(r, status, err)
	}
	http.Error(w, http.StatusText(status), status)
}
