package core

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/facegate/facegate/pkg/faceid"
)

// Widths of a phone screen 390 CSS px wide at 16 px, in the units of displayWidth: a
// message may take two lines, a title, heading, button, label, option or status one.
const (
	maxMessageWidth = 84
	maxShortWidth   = 40
)

// displayWidth measures s as a phone lays it out, roughly: Latin and Thai base letters one
// unit, combining marks (Thai vowels above and below, tone marks) none, CJK and full-width
// characters two.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		case wide(r):
			w += 2
		default:
			w++
		}
	}
	return w
}

func wide(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		r >= 0x2E80 && r <= 0x303E || // CJK radicals, symbols and punctuation
		r >= 0xFF01 && r <= 0xFF60 || r >= 0xFFE0 && r <= 0xFFE6 // full-width forms
}

// isShort tells whether id names one line (a title, heading, button, label, option or
// status) rather than a message: its last part says so.
func isShort(id MessageID) bool {
	switch string(id)[strings.LastIndex(string(id), ".")+1:] {
	case "title", "button", "label", "option", "status":
		return true
	}
	return false
}

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{
		"Try again":   9,
		"ลองอีกครั้ง": 8, // 11 runes, of which ี, ั and ้ are marks
		"重新开始":        8,
		"你好！":         6,
		"iOS 11.1.2":  10,
	} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestCatalogueKeys(t *testing.T) {
	for id, text := range catalogue()["en"] {
		if strings.TrimSpace(text) == "" {
			t.Errorf("en: %s is empty", id)
		}
	}
	for lang, texts := range catalogue() {
		for id := range catalogue()["en"] {
			if strings.TrimSpace(texts[id]) == "" {
				t.Errorf("%s: %s is missing or empty", lang, id)
			}
		}
		for id := range texts {
			if _, ok := catalogue()["en"][id]; !ok {
				t.Errorf("%s: %s is not in the English catalogue", lang, id)
			}
		}
	}
}

// constants returns the values of the package's string constants declared with type
// typeName, by name, read from the source so that no list is kept by hand.
func constants(t *testing.T, typeName string) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				if typ, ok := vs.Type.(*ast.Ident); !ok || typ.Name != typeName {
					continue
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: %s is not a string literal", fset.Position(n.Pos()), n.Name)
					}
					v, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					consts[n.Name] = v
				}
			}
		}
	}
	if len(consts) == 0 {
		t.Fatalf("no constants of type %s found", typeName)
	}
	return consts
}

// TestMessageIDsDeclared keeps the declared IDs and the English catalogue one set: a
// constant without words, or words no constant names, is a mistake.
func TestMessageIDsDeclared(t *testing.T) {
	declared := map[MessageID]string{}
	for name, v := range constants(t, "MessageID") {
		if other, dup := declared[MessageID(v)]; dup {
			t.Errorf("%s and %s are both %q", name, other, v)
		}
		declared[MessageID(v)] = name
	}
	for id, name := range declared {
		if _, ok := catalogue()["en"][id]; !ok {
			t.Errorf("%s (%s) is not in the English catalogue", name, id)
		}
	}
	for id := range catalogue()["en"] {
		if _, ok := declared[id]; !ok {
			t.Errorf("%s is in the English catalogue but no constant declares it", id)
		}
	}
}

// userCodes are the error codes a user may see: every code of the API, and
// session_deleted, whose Code constant is declared with the deletion.
func userCodes() []Code {
	codes := Codes()
	if !slices.Contains(codes, "session_deleted") {
		codes = append(codes, "session_deleted")
	}
	return codes
}

func TestCodeTitlesAndMessages(t *testing.T) {
	for _, c := range userCodes() {
		if _, ok := codeTexts[c]; !ok {
			t.Errorf("%s has no title and message", c)
			continue
		}
		if got, want := c.Title(), MessageID("error."+string(c)+".title"); got != want {
			t.Errorf("%s: Title() = %s, want %s", c, got, want)
		}
		if got, want := c.UserMessage(), MessageID("error."+string(c)+".message"); got != want {
			t.Errorf("%s: UserMessage() = %s, want %s", c, got, want)
		}
		for lang, texts := range catalogue() {
			for _, id := range []MessageID{c.Title(), c.UserMessage()} {
				text := texts[id]
				if text == "" {
					t.Errorf("%s: %s has no text", lang, id)
				}
				// The code is for machines and support; the user reads what to do.
				if strings.Contains(text, string(c)) {
					t.Errorf("%s: %s shows the code: %q", lang, id, text)
				}
			}
		}
	}
	for c := range codeTexts {
		if !slices.Contains(userCodes(), c) {
			t.Errorf("%s has words but is not an error code", c)
		}
	}
	if Code("no_such_code").Title() != MsgErrInternalTitle || Code("no_such_code").UserMessage() != MsgErrInternal {
		t.Error("an unknown code does not read as an internal error")
	}
}

func TestCategoryHeadlines(t *testing.T) {
	for name, v := range constants(t, "Category") {
		id, ok := categoryHeadlines[Category(v)]
		if !ok {
			t.Errorf("%s has no headline", name)
			continue
		}
		if Category(v).Headline() != id {
			t.Errorf("%s: Headline() = %s, want %s", name, Category(v).Headline(), id)
		}
	}
}

func TestPickerNames(t *testing.T) {
	for _, typ := range faceid.IDCardTypes() {
		if _, ok := DocumentName(typ); !ok {
			t.Errorf("document type %s has no name", typ)
		}
	}
	if len(documentNames) != len(faceid.IDCardTypes()) {
		t.Errorf("%d document names for %d document types", len(documentNames), len(faceid.IDCardTypes()))
	}
	for mode := int64(1); mode <= 4; mode++ {
		if _, ok := CheckModeName(mode); !ok {
			t.Errorf("check mode %d has no name", mode)
		}
	}
	if _, ok := CheckModeName(5); ok {
		t.Error("check mode 5 has a name")
	}
}

// TestWidths keeps every text within the lines a phone gives it.
func TestWidths(t *testing.T) {
	for lang, texts := range catalogue() {
		for id, text := range texts {
			limit := maxMessageWidth
			if isShort(id) {
				limit = maxShortWidth
			}
			if w := displayWidth(text); w > limit {
				t.Errorf("%s: %s is %d wide, more than %d: %q", lang, id, w, limit, text)
			}
		}
	}
}

// brands are the words that stay in Latin letters in every language.
var brands = map[string]bool{
	"Tencent": true, "Cloud": true, "Chrome": true, "Safari": true, "iOS": true, "Android": true,
	"WeChat": true, "Huawei": true, "Xiaomi": true, "LINE": true, "QQ": true, "UC": true, "Browser": true,
	"MyKad": true, "KTP": true, "NRIC": true, "TIN": true, "SSS": true, "UMID": true,
}

var (
	latinWord   = regexp.MustCompile(`[A-Za-z]+(?:'[a-z]+)?`)
	placeholder = regexp.MustCompile(`\{[a-z_]+\}`)
)

// onlyBrands tells whether every Latin word of text, placeholders aside, is a brand.
func onlyBrands(text string) bool {
	for _, w := range latinWord.FindAllString(placeholder.ReplaceAllString(text, ""), -1) {
		if !brands[w] {
			return false
		}
	}
	return true
}

func TestTranslated(t *testing.T) {
	for lang, texts := range catalogue() {
		if lang == DefaultLanguage {
			continue
		}
		for id, text := range texts {
			if text == catalogue()["en"][id] && !onlyBrands(text) {
				t.Errorf("%s: %s is the English text: %q", lang, id, text)
			}
		}
	}
}

// englishWords betray an untranslated phrase in a language written in Latin letters.
var englishWords = []string{
	"the", "your", "you", "please", "and", "again", "start", "page", "check", "link", "shop", "back", "this",
	"with", "can't", "isn't", "couldn't", "didn't", "face", "document", "photo", "camera", "phone",
}

// TestNoEnglishLeft: Thai and Chinese keep only brands in Latin letters; Indonesian has
// none of the common English words.
func TestNoEnglishLeft(t *testing.T) {
	for lang, texts := range catalogue() {
		for id, text := range texts {
			switch lang {
			case DefaultLanguage:
			case "id":
				for _, w := range latinWord.FindAllString(strings.ToLower(text), -1) {
					if slices.Contains(englishWords, w) {
						t.Errorf("%s: %s has the English word %q: %q", lang, id, w, text)
					}
				}
			default:
				if !onlyBrands(text) {
					t.Errorf("%s: %s has Latin words that are not brands: %q", lang, id, text)
				}
			}
		}
	}
}

func TestPlaceholders(t *testing.T) {
	for id, en := range catalogue()["en"] {
		want := placeholder.FindAllString(en, -1)
		slices.Sort(want)
		for lang, texts := range catalogue() {
			got := placeholder.FindAllString(texts[id], -1)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %s has placeholders %v, English %v", lang, id, got, want)
			}
		}
	}
}

// simplifiedTraditional pairs common characters that differ between the scripts: zh-cn
// must not use the second of a pair, zh-tc (as written in Hong Kong) not the first.
var simplifiedTraditional = [][2]rune{
	{'证', '證'}, {'验', '驗'}, {'过', '過'}, {'请', '請'}, {'这', '這'}, {'为', '為'},
	{'时', '時'}, {'后', '後'}, {'机', '機'}, {'务', '務'}, {'说', '說'}, {'码', '碼'},
	{'页', '頁'}, {'们', '們'}, {'录', '錄'}, {'视', '視'}, {'频', '頻'}, {'没', '沒'},
	{'开', '開'}, {'关', '關'}, {'网', '網'}, {'试', '試'}, {'摄', '攝'}, {'头', '頭'},
	{'览', '覽'}, {'设', '設'}, {'认', '認'}, {'权', '權'}, {'问', '問'}, {'题', '題'},
	{'扫', '掃'}, {'链', '鏈'}, {'还', '還'}, {'线', '線'}, {'带', '帶'}, {'传', '傳'},
	{'确', '確'}, {'应', '應'}, {'该', '該'}, {'处', '處'}, {'电', '電'}, {'脑', '腦'},
	{'现', '現'}, {'钟', '鐘'}, {'间', '間'}, {'对', '對'}, {'张', '張'}, {'脸', '臉'},
	{'检', '檢'}, {'测', '測'}, {'无', '無'}, {'数', '數'}, {'图', '圖'},
}

func TestChineseScripts(t *testing.T) {
	forbidden := map[string]map[rune]bool{"zh-cn": {}, "zh-tc": {}}
	for _, p := range simplifiedTraditional {
		forbidden["zh-tc"][p[0]] = true
		forbidden["zh-cn"][p[1]] = true
	}
	for lang, chars := range forbidden {
		for id, text := range catalogue()[lang] {
			for _, r := range text {
				if chars[r] {
					t.Errorf("%s: %s has %q, of the other script: %q", lang, id, r, text)
				}
			}
		}
	}
}

func TestLanguages(t *testing.T) {
	langs := Languages()
	if langs[0] != DefaultLanguage {
		t.Errorf("Languages() starts with %q, not English", langs[0])
	}
	if got, want := slices.Sorted(slices.Values(langs)), slices.Sorted(slices.Values(faceid.Languages())); !slices.Equal(got, want) {
		t.Errorf("Languages() = %v; Tencent's page speaks %v", got, want)
	}
	if len(catalogue()) != len(langs) {
		t.Errorf("%d catalogues for %d languages", len(catalogue()), len(langs))
	}
	for _, lang := range langs {
		if catalogue()[lang] == nil {
			t.Errorf("%s has no catalogue", lang)
		}
		if LanguageName(lang) == "" {
			t.Errorf("%s has no name", lang)
		}
	}
	if Catalogue("fr") != nil || LanguageName("fr") != "" {
		t.Error("a language outside Languages has words")
	}
}

func TestCatalogueIsACopy(t *testing.T) {
	c := Catalogue("th")
	if c[MsgPassed] != catalogue()["th"][MsgPassed] || len(c) != len(catalogue()["th"]) {
		t.Fatal("Catalogue(th) is not the Thai catalogue")
	}
	c[MsgPassed] = "changed"
	if MsgPassed.Text("th") == "changed" {
		t.Error("changing the copy changed the catalogue")
	}
}
