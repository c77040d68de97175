package sandbox

// labels are the words of the hosted page in one language.
type labels struct {
	HTMLLang      string
	Title         string
	Sandbox       string // the banner saying this is not Tencent
	IntroHeading  string
	IntroText     string
	Privacy       string
	Start         string
	ChooseHeading string
	ChooseText    string
	Outcomes      map[string]string
	Similarity    string
	CardHeading   string
	PassHeading   string
	FailHeading   string
	Code          string
	Next          string
	UnknownTitle  string
	UnknownText   string
	ExpiredTitle  string
	ExpiredText   string
	BadTitle      string
	BadText       string
}

// pageLabels holds the five languages of Config.Language.
var pageLabels = map[string]labels{
	"en": {
		HTMLLang: "en", Title: "Identity verification", Sandbox: "Sandbox – not Tencent Cloud",
		IntroHeading: "Verify your identity",
		IntroText:    "You will take a short selfie video. Hold your phone at eye level in good light.",
		Privacy:      "By continuing you agree that your face data is processed for this verification.",
		Start:        "Start", ChooseHeading: "Choose what happens",
		ChooseText: "This page stands in for Tencent's verification page. Pick the result the merchant will receive.",
		Outcomes: map[string]string{
			ResultPass: "Pass", ResultDocument: "Document accepted", ResultLivenessFail: "Liveness check fails",
			ResultCompareFail: "Face does not match", ResultDocumentFail: "Document rejected",
			ResultRetryLimit: "Too many attempts", ResultTimeout: "Time runs out", ResultUserExit: "Leave verification",
		},
		Similarity: "Similarity (below 70)", CardHeading: "Document data that will be returned",
		PassHeading: "Verification complete", FailHeading: "Verification not passed", Code: "Code", Next: "Next",
		UnknownTitle: "This verification link is not valid", UnknownText: "Go back to the app and start again.",
		ExpiredTitle: "This verification link has expired", ExpiredText: "Go back to the app and start a new verification.",
		BadTitle: "Something is missing", BadText: "Go back to the app and start again.",
	},
	"zh-cn": {
		HTMLLang: "zh-Hans", Title: "身份核验", Sandbox: "沙箱环境 – 非腾讯云",
		IntroHeading: "核验您的身份", IntroText: "您将录制一段简短的自拍视频。请在光线充足处将手机举至与眼睛齐平。",
		Privacy: "继续即表示您同意为本次核验处理您的人脸信息。", Start: "开始", ChooseHeading: "选择结果",
		ChooseText: "本页面代替腾讯的核验页面。请选择商户将收到的结果。",
		Outcomes: map[string]string{
			ResultPass: "通过", ResultDocument: "证件通过", ResultLivenessFail: "活体检测失败",
			ResultCompareFail: "人脸比对不一致", ResultDocumentFail: "证件未通过",
			ResultRetryLimit: "尝试次数过多", ResultTimeout: "操作超时", ResultUserExit: "退出核验",
		},
		Similarity: "相似度（低于 70）", CardHeading: "将返回的证件信息",
		PassHeading: "核验完成", FailHeading: "核验未通过", Code: "错误码", Next: "下一步",
		UnknownTitle: "核验链接无效", UnknownText: "请返回应用重新开始。",
		ExpiredTitle: "核验链接已过期", ExpiredText: "请返回应用重新发起核验。",
		BadTitle: "缺少必要信息", BadText: "请返回应用重新开始。",
	},
	"zh-tc": {
		HTMLLang: "zh-Hant", Title: "身份核驗", Sandbox: "沙盒環境 – 非騰訊雲",
		IntroHeading: "核驗您的身份", IntroText: "您將錄製一段簡短的自拍影片。請在光線充足處將手機舉至與眼睛齊平。",
		Privacy: "繼續即表示您同意為本次核驗處理您的人臉資料。", Start: "開始", ChooseHeading: "選擇結果",
		ChooseText: "本頁面代替騰訊的核驗頁面。請選擇商戶將收到的結果。",
		Outcomes: map[string]string{
			ResultPass: "通過", ResultDocument: "證件通過", ResultLivenessFail: "活體檢測失敗",
			ResultCompareFail: "人臉比對不一致", ResultDocumentFail: "證件未通過",
			ResultRetryLimit: "嘗試次數過多", ResultTimeout: "操作逾時", ResultUserExit: "退出核驗",
		},
		Similarity: "相似度（低於 70）", CardHeading: "將返回的證件資料",
		PassHeading: "核驗完成", FailHeading: "核驗未通過", Code: "錯誤碼", Next: "下一步",
		UnknownTitle: "核驗連結無效", UnknownText: "請返回應用程式重新開始。",
		ExpiredTitle: "核驗連結已過期", ExpiredText: "請返回應用程式重新發起核驗。",
		BadTitle: "缺少必要資料", BadText: "請返回應用程式重新開始。",
	},
	"th": {
		HTMLLang: "th", Title: "ยืนยันตัวตน", Sandbox: "แซนด์บ็อกซ์ – ไม่ใช่ Tencent Cloud",
		IntroHeading: "ยืนยันตัวตนของคุณ",
		IntroText:    "คุณจะถ่ายวิดีโอเซลฟี่สั้น ๆ ถือโทรศัพท์ให้อยู่ระดับสายตาในที่ที่มีแสงสว่างเพียงพอ",
		Privacy:      "เมื่อดำเนินการต่อ คุณยินยอมให้ประมวลผลข้อมูลใบหน้าของคุณสำหรับการยืนยันนี้",
		Start:        "เริ่ม", ChooseHeading: "เลือกผลลัพธ์",
		ChooseText: "หน้านี้ใช้แทนหน้ายืนยันตัวตนของ Tencent เลือกผลลัพธ์ที่ร้านค้าจะได้รับ",
		Outcomes: map[string]string{
			ResultPass: "ผ่าน", ResultDocument: "เอกสารผ่าน", ResultLivenessFail: "ตรวจสอบบุคคลจริงไม่ผ่าน",
			ResultCompareFail: "ใบหน้าไม่ตรงกัน", ResultDocumentFail: "เอกสารไม่ผ่าน",
			ResultRetryLimit: "ลองหลายครั้งเกินไป", ResultTimeout: "หมดเวลา", ResultUserExit: "ออกจากการยืนยัน",
		},
		Similarity: "ความคล้ายคลึง (ต่ำกว่า 70)", CardHeading: "ข้อมูลเอกสารที่จะส่งกลับ",
		PassHeading: "ยืนยันตัวตนสำเร็จ", FailHeading: "ยืนยันตัวตนไม่ผ่าน", Code: "รหัส", Next: "ถัดไป",
		UnknownTitle: "ลิงก์ยืนยันตัวตนไม่ถูกต้อง", UnknownText: "กลับไปที่แอปแล้วเริ่มใหม่",
		ExpiredTitle: "ลิงก์ยืนยันตัวตนหมดอายุแล้ว", ExpiredText: "กลับไปที่แอปแล้วเริ่มการยืนยันใหม่",
		BadTitle: "ข้อมูลไม่ครบถ้วน", BadText: "กลับไปที่แอปแล้วเริ่มใหม่",
	},
	"id": {
		HTMLLang: "id", Title: "Verifikasi identitas", Sandbox: "Sandbox – bukan Tencent Cloud",
		IntroHeading: "Verifikasi identitas Anda",
		IntroText:    "Anda akan merekam video selfie singkat. Pegang ponsel sejajar mata di tempat yang terang.",
		Privacy:      "Dengan melanjutkan, Anda setuju data wajah Anda diproses untuk verifikasi ini.",
		Start:        "Mulai", ChooseHeading: "Pilih hasilnya",
		ChooseText: "Halaman ini menggantikan halaman verifikasi Tencent. Pilih hasil yang akan diterima merchant.",
		Outcomes: map[string]string{
			ResultPass: "Lulus", ResultDocument: "Dokumen diterima", ResultLivenessFail: "Deteksi liveness gagal",
			ResultCompareFail: "Wajah tidak cocok", ResultDocumentFail: "Dokumen ditolak",
			ResultRetryLimit: "Terlalu banyak percobaan", ResultTimeout: "Waktu habis", ResultUserExit: "Keluar dari verifikasi",
		},
		Similarity: "Kemiripan (di bawah 70)", CardHeading: "Data dokumen yang akan dikirim",
		PassHeading: "Verifikasi selesai", FailHeading: "Verifikasi tidak lulus", Code: "Kode", Next: "Berikutnya",
		UnknownTitle: "Tautan verifikasi ini tidak valid", UnknownText: "Kembali ke aplikasi dan mulai lagi.",
		ExpiredTitle: "Tautan verifikasi ini sudah kedaluwarsa", ExpiredText: "Kembali ke aplikasi dan mulai verifikasi baru.",
		BadTitle: "Ada yang kurang", BadText: "Kembali ke aplikasi dan mulai lagi.",
	},
}
