package sandbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// uploadURLTTL is how long an UploadUrl accepts a PUT, like a presigned COS URL.
	uploadURLTTL = time.Hour
	// uploadKeep is how long uploaded data is kept (Tencent: 2 hours).
	uploadKeep = 2 * time.Hour
	// mediaURLTTL is the validity of the legacy result's media links (Tencent: 10 minutes).
	mediaURLTTL = 10 * time.Minute
	// maxUploadSize caps one upload, as the API caps a request body.
	maxUploadSize = 10 << 20
	// maxUploads and maxUploadBytes bound what a long-running sandbox keeps in memory.
	maxUploads     = 1000
	maxUploadBytes = 256 << 20
)

// upload is one CreateUploadUrl target and, once PUT, its bytes.
type upload struct {
	id         string
	target     string
	urlExpires time.Time
	uploaded   time.Time
	data       []byte
	md5        string
}

// expires is when the upload is forgotten: its URL's end if nothing was uploaded, else
// the end of the keeping period.
func (u *upload) expires() time.Time {
	if u.uploaded.IsZero() {
		return u.urlExpires
	}
	return u.uploaded.Add(uploadKeep)
}

// signLink signs a page-origin link so that only links the sandbox handed out work.
func (s *Sandbox) signLink(parts ...string) string {
	m := hmac.New(sha256.New, s.urlKey)
	io.WriteString(m, strings.Join(parts, "\n"))
	return hex.EncodeToString(m.Sum(nil))
}

// linkRefused verifies the expires and sig query parameters of a signed link and, when the
// link is forged or expired, answers the request as COS would and reports true.
func (s *Sandbox) linkRefused(w http.ResponseWriter, r *http.Request, now time.Time, parts ...string) bool {
	q := r.URL.Query()
	expires, sig := q.Get("expires"), q.Get("sig")
	exp, err := strconv.ParseInt(expires, 10, 64)
	switch {
	case err != nil || !hmac.Equal([]byte(sig), []byte(s.signLink(append(parts, expires)...))):
		storageError(w, http.StatusForbidden, "AccessDenied", "The request signature does not match.")
	case now.Unix() > exp:
		storageError(w, http.StatusForbidden, "AccessDenied", "Request has expired.")
	default:
		return false
	}
	return true
}

func (s *Sandbox) resourceURL(id string) string { return s.pageURL + "/resource/" + id }

// createUpload answers CreateUploadUrl.
func (s *Sandbox) createUpload(target, requestID string, now time.Time) (any, *apiError) {
	up := &upload{id: s.newUUID(false), target: target, urlExpires: now.Add(uploadURLTTL)}
	s.mu.Lock()
	s.sweepLocked(now, false)
	if len(s.uploads) >= maxUploads {
		s.sweepLocked(now, true)
	}
	full := len(s.uploads) >= maxUploads
	if !full {
		s.uploads[up.id] = up
	}
	s.mu.Unlock()
	if full {
		return nil, errorf(codeLimitExceeded, "The sandbox holds its maximum of %d uploads; wait for old ones to expire.", maxUploads)
	}
	expires := strconv.FormatInt(up.urlExpires.Unix(), 10)
	q := url.Values{"expires": {expires}, "sig": {s.signLink("upload", up.id, expires)}}
	return struct {
		UploadUrl        string
		ResourceUrl      string
		ExpiredTimestamp int64
		RequestId        string
	}{
		UploadUrl:        s.pageURL + "/upload/" + up.id + "?" + q.Encode(),
		ResourceUrl:      s.resourceURL(up.id),
		ExpiredTimestamp: up.urlExpires.Unix(),
		RequestId:        requestID,
	}, nil
}

// storageError answers the upload target in the XML shape of COS/S3 errors.
func storageError(w http.ResponseWriter, status int, code, msg string) {
	securityHeaders(w.Header())
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>\n", code, msg)
}

// servePut stores the body of a PUT to an UploadUrl: signature and expiry checked, at most
// 10 MB, Content-MD5 verified when present.
func (s *Sandbox) servePut(w http.ResponseWriter, r *http.Request) {
	id, now := r.PathValue("id"), s.now()
	if s.linkRefused(w, r, now, "upload", id) {
		return
	}
	if r.ContentLength > maxUploadSize {
		storageError(w, http.StatusBadRequest, "EntityTooLarge", "The upload is larger than 10 MB.")
		return
	}
	var wantMD5 []byte
	if h := r.Header.Get("Content-MD5"); h != "" {
		b, err := base64.StdEncoding.DecodeString(h)
		if err != nil || len(b) != md5.Size {
			storageError(w, http.StatusBadRequest, "InvalidDigest", "The Content-MD5 header is not a base64 MD5 digest.")
			return
		}
		wantMD5 = b
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxUploadSize+1))
	if err != nil {
		storageError(w, http.StatusBadRequest, "IncompleteBody", "The upload could not be read.")
		return
	}
	if len(data) > maxUploadSize {
		storageError(w, http.StatusBadRequest, "EntityTooLarge", "The upload is larger than 10 MB.")
		return
	}
	sum := md5.Sum(data)
	if wantMD5 != nil && !bytes.Equal(wantMD5, sum[:]) {
		storageError(w, http.StatusBadRequest, "BadDigest", "The Content-MD5 does not match the body.")
		return
	}
	s.mu.Lock()
	up, found := s.uploads[id]
	tooMuch := found && s.upBytes-int64(len(up.data))+int64(len(data)) > maxUploadBytes
	if found && !tooMuch {
		s.upBytes += int64(len(data)) - int64(len(up.data))
		up.data, up.md5, up.uploaded = data, hex.EncodeToString(sum[:]), now
	}
	s.mu.Unlock()
	switch {
	case !found:
		storageError(w, http.StatusNotFound, "NoSuchUpload", "The upload target does not exist any more.")
	case tooMuch:
		storageError(w, http.StatusInsufficientStorage, "InsufficientStorage", "The sandbox holds its maximum of uploaded data; wait for old uploads to expire.")
	default:
		securityHeaders(w.Header())
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
		w.WriteHeader(http.StatusOK)
	}
}

// serveResource answers a GET of a ResourceUrl: the bucket behind it is private, as
// Tencent's is; only the API reads it.
func (s *Sandbox) serveResource(w http.ResponseWriter, _ *http.Request) {
	storageError(w, http.StatusForbidden, "AccessDenied", "Access Denied.")
}

// compareImage finds the uploaded image a legacy apply names, or says what is wrong.
func (s *Sandbox) compareImage(imageURL, imageMD5 string, now time.Time) *apiError {
	id, ok := strings.CutPrefix(imageURL, s.resourceURL(""))
	if !ok {
		return errorf(codeInvalidParameterValue, "The parameter `CompareImageUrl` is not a ResourceUrl from CreateUploadUrl.")
	}
	s.mu.Lock()
	up, found := s.uploads[id]
	var data []byte
	var sum, target string
	if found && !up.uploaded.IsZero() && !now.After(up.expires()) {
		data, sum, target = up.data, up.md5, up.target
	} else {
		found = false
	}
	s.mu.Unlock()
	switch {
	case !found:
		return errorf(codeInvalidParameterValue, "The parameter `CompareImageUrl` names no uploaded image (never uploaded or older than 2 hours).")
	case target != actionApplyLegacy:
		return errorf(codeInvalidParameterValue, "The upload was created for another TargetAction.")
	case !strings.EqualFold(sum, imageMD5):
		return errorf(codeInvalidParameterValue, "The parameter `CompareImageMd5` does not match the uploaded image.")
	case !isImage(data):
		return errorf(codeInvalidParameterValue, "The uploaded image is not a JPEG, PNG or BMP image.")
	}
	return nil
}

// Legacy media files, by the name in their link.
var mediaFiles = map[string]struct {
	contentType string
	data        func() []byte
}{
	"bestframe.jpg": {"image/jpeg", sampleJPEG},
	"video.mp4":     {"video/mp4", sampleVideo},
}

// mediaURL is a signed, expiring link to a legacy result's media file.
func (s *Sandbox) mediaURL(mediaID, file string, now time.Time) string {
	expires := strconv.FormatInt(now.Add(mediaURLTTL).Unix(), 10)
	q := url.Values{"expires": {expires}, "sig": {s.signLink("media", mediaID, file, expires)}}
	return s.pageURL + "/media/" + mediaID + "/" + file + "?" + q.Encode()
}

// serveMedia answers a legacy media link while it is valid and its session is known.
func (s *Sandbox) serveMedia(w http.ResponseWriter, r *http.Request) {
	id, file, now := r.PathValue("id"), r.PathValue("file"), s.now()
	f, known := mediaFiles[file]
	if !known {
		storageError(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	if s.linkRefused(w, r, now, "media", id, file) {
		return
	}
	s.mu.Lock()
	ss, found := s.media[id]
	found = found && ss.verdict != nil && ss.verdict.media
	s.mu.Unlock()
	if !found {
		storageError(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	data := f.data()
	securityHeaders(w.Header())
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("ETag", `"`+md5Hex(data)+`"`)
	w.Write(data)
}
