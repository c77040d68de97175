package storage

// ListPages assembles one List answer from a backend that lists keys in pages, as S3 and
// COS do, so that both stores page the same way. next fetches the backend's next page
// of at most maxKeys keys (1..MaxListLimit) and says whether the backend holds more; it
// keeps its own place (a continuation token, a marker) between calls.
//
// ListPages asks for one key more than limit, so that more is exact however the backend
// reports truncation: a backend may end a page early, or, like gofakes3, call a full
// page truncated when nothing matching follows. It therefore needs one request when
// limit < MaxListLimit and the keys are all valid, and a second (of one key) after a
// full page of MaxListLimit. Keys that CheckKey refuses (written around the store) are
// skipped, which can cost further requests. On any error it returns no keys.
func ListPages(limit int, next func(maxKeys int) (page []string, truncated bool, err error)) (keys []string, more bool, err error) {
	if err := checkLimit(limit); err != nil {
		return nil, false, err
	}
	for {
		page, truncated, err := next(min(limit+1-len(keys), MaxListLimit))
		if err != nil {
			return nil, false, err
		}
		for _, k := range page {
			if CheckKey(k) == nil {
				keys = append(keys, k)
			}
		}
		if len(keys) > limit {
			return keys[:limit:limit], true, nil
		}
		if !truncated {
			return keys, false, nil
		}
	}
}
