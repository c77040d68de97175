package demo

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/faceid"
)

// The pages say nothing of their own: every word comes from the core's catalogue, served
// as one JSON file per language at messages/<lang>.json, so the demo shop speaks the five
// languages of Tencent's page with the same words as facegate's own pages.

// messageFile is the JSON of messages/<lang>.json.
type messageFile struct {
	// Lang is the catalogue's language (en, zh-cn, zh-tc, th, id), as /start takes it.
	Lang string `json:"lang"`
	// HTMLLang is its BCP 47 tag, for <html lang>.
	HTMLLang string `json:"htmlLang"`
	// Languages are the picker's choices, each named in its own language.
	Languages []choice `json:"languages"`
	// Documents are the picker's document types (Tencent's IDCardType), named in Lang.
	Documents []choice `json:"documents"`
	// Messages are the catalogue of Lang, by message ID.
	Messages map[core.MessageID]string `json:"messages"`
}

type choice struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// messageBody is one encoded messages file, ready to serve.
type messageBody struct {
	plain, gzipped []byte
	etag           string
}

// messageFiles are the encoded files by language, built once: the catalogue is fixed at
// build time.
var messageFiles = buildMessageFiles()

func buildMessageFiles() map[string]messageBody {
	var languages []choice
	for _, lang := range core.Languages() {
		languages = append(languages, choice{Value: lang, Label: core.LanguageName(lang)})
	}
	out := make(map[string]messageBody)
	for _, lang := range core.Languages() {
		messages := core.Catalogue(lang)
		f := messageFile{Lang: lang, HTMLLang: core.HTMLLang(lang), Languages: languages, Messages: messages}
		for _, typ := range faceid.IDCardTypes() {
			if id, ok := core.DocumentName(typ); ok {
				f.Documents = append(f.Documents, choice{Value: typ, Label: messages[id]})
			}
		}
		var plain bytes.Buffer
		enc := json.NewEncoder(&plain)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(f); err != nil {
			panic(err) // strings and slices of strings always encode
		}
		var gz bytes.Buffer
		w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		w.Write(plain.Bytes())
		w.Close()
		sum := sha256.Sum256(plain.Bytes())
		out[lang] = messageBody{plain: plain.Bytes(), gzipped: gz.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return out
}

// serveMessages answers messages/<lang>.json, gzipped for the browsers that take it (a
// language's catalogue is several times smaller so, which counts on a phone's connection),
// and reports whether name was such a file.
func serveMessages(w http.ResponseWriter, r *http.Request, name string) bool {
	lang, ok := strings.CutPrefix(name, "/messages/")
	if !ok {
		return false
	}
	lang, ok = strings.CutSuffix(lang, ".json")
	body, known := messageFiles[lang]
	if !ok || !known {
		http.NotFound(w, r)
		return true
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("ETag", body.etag)
	h.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, body.etag) {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	data := body.plain
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		data = body.gzipped
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data) // a failed write means the client left
	}
	return true
}

// acceptsGzip reads an Accept-Encoding header: gzip listed without q=0.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
