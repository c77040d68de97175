package sandbox

import (
	"bytes"
	"encoding/json"
)

// cardField is one recognised field of a sample document, kept in order so the page and
// the JSON list fields the way the card prints them.
type cardField struct {
	Key, Value string
}

// sampleCard is made-up document data for one IDCardType. The keys follow the members of
// Tencent's NormalCardInfo; every value is invented and belongs to no one.
type sampleCard struct {
	cardType string
	twoSided bool
	fields   []cardField
}

// fieldsJSON is the card's fields as one JSON object, keys in card order.
func (c sampleCard) fieldsJSON() []byte {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range c.fields {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(f.Key)
		v, _ := json.Marshal(f.Value)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

// normalCardInfo is the NormalCardInfo object: one member named for the card type.
func (c sampleCard) normalCardInfo() json.RawMessage {
	k, _ := json.Marshal(c.cardType)
	out := append([]byte{'{'}, k...)
	out = append(out, ':')
	out = append(out, c.fieldsJSON()...)
	return append(out, '}')
}

// cardFor returns the sample card of an IDCardType, HKIDCard when none was configured.
func cardFor(cardType string) sampleCard {
	if cardType == "" {
		cardType = "HKIDCard"
	}
	c := sampleCard{cardType: cardType, fields: sampleCards[cardType]}
	c.twoSided = cardType == "MLIDCard" || cardType == "SingaporeIDCard" || cardType == "MainlandIDCard"
	return c
}

var sampleCards = map[string][]cardField{
	"HKIDCard": {
		{"ChineseName", "陳大文"}, {"FullName", "CHAN, Tai Man"}, {"RegistrationNumber", "7115 1129 2429"},
		{"Sex", "M"}, {"Birthday", "01-01-1990"}, {"Permanent", "1"}, {"LicenseNumber", "C668668(E)"},
		{"Symbol", "***AZ"}, {"IssuedDate", "(01-08)"}, {"CurrentIssueDate", "15-09-18"},
	},
	"MLIDCard": {
		{"FullName", "AHMAD BIN ABDULLAH"}, {"LicenseNumber", "900101-14-5678"}, {"Sex", "LELAKI"},
		{"FormattedAddress", "NO 1 JALAN CONTOH, 50000 KUALA LUMPUR"}, {"Type", "MyKad"}, {"Birthday", "1990/01/01"},
	},
	"IndonesiaIDCard": {
		{"LicenseNumber", "3171010101900001"}, {"FullName", "BUDI SANTOSO"}, {"Birthday", "JAKARTA, 01-01-1990"},
		{"Sex", "LAKI-LAKI"}, {"BloodType", "O"}, {"FormattedAddress", "JL. CONTOH NO. 1"}, {"Street", "JL. CONTOH NO. 1"},
		{"Village", "GAMBIR"}, {"Area", "GAMBIR"}, {"Religion", "ISLAM"}, {"MaritalStatus", "BELUM KAWIN"},
		{"Occupation", "KARYAWAN SWASTA"}, {"Nationality", "WNI"}, {"DueDate", "SEUMUR HIDUP"},
		{"IssuedDate", "01-01-2015"}, {"Province", "DKI JAKARTA"}, {"City", "JAKARTA PUSAT"},
	},
	"PhilippinesVoteID": {
		{"VIN", "1234-5678A-B123JDC12345-0"}, {"FirstName", "JUAN"}, {"LastName", "DELA CRUZ"},
		{"Birthday", "1990-01-01"}, {"CivilStatus", "SINGLE"}, {"Citizenship", "FILIPINO"},
		{"Address", "1 SAMPLE ST, MANILA"}, {"PrecinctNo", "0001A"},
	},
	"PhilippinesDrivingLicense": {
		{"Name", "DELA CRUZ, JUAN SANTOS"}, {"LastName", "DELA CRUZ"}, {"FirstName", "JUAN"},
		{"MiddleName", "SANTOS"}, {"Nationality", "PHL"}, {"Sex", "M"}, {"Address", "1 SAMPLE ST, MANILA"},
		{"LicenseNo", "N01-90-123456"}, {"ExpiresDate", "2030/01/01"}, {"AgencyCode", "N01"}, {"Birthday", "1990/01/01"},
	},
	"PhilippinesTinID": {
		{"LicenseNumber", "123-456-789-000"}, {"FullName", "JUAN SANTOS DELA CRUZ"},
		{"Address", "1 SAMPLE ST, MANILA"}, {"Birthday", "01/01/1990"}, {"IssueDate", "01/01/2015"},
	},
	"PhilippinesSSSID": {
		{"LicenseNumber", "01-2345678-9"}, {"FullName", "JUAN S. DELA CRUZ"}, {"Birthday", "01/01/1990"},
	},
	"PhilippinesUMID": {
		{"Surname", "DELA CRUZ"}, {"MiddleName", "SANTOS"}, {"GivenName", "JUAN"}, {"Sex", "M"},
		{"Birthday", "1990/01/01"}, {"Address", "1 SAMPLE ST, MANILA"}, {"CRN", "0111-1234567-8"},
	},
	"InternationalIDPassport": {
		{"LicenseNumber", "X00000000"}, {"FullName", "SPECIMEN, SAMPLE"}, {"Surname", "SPECIMEN"},
		{"GivenName", "SAMPLE"}, {"Birthday", "1990-01-01"}, {"Sex", "F"}, {"DateOfExpiration", "2030-01-01"},
		{"IssuingCountry", "UTO"}, {"Nationality", "UTO"},
	},
	"ThailandIDCard": {
		{"LicenseNumber", "1 2345 67890 12 3"}, {"FullName", "นาย สมชาย ใจดี"}, {"LastName", "JAIDEE"},
		{"FirstName", "Mr. SOMCHAI"}, {"Birthday", "1 Jan. 1990"}, {"FormattedAddress", "1 SAMPLE ROAD, BANGKOK"},
		{"ExpirationDate", "1 Jan. 2030"}, {"IssuedDate", "1 Jan. 2020"}, {"RegistrationNumber", "1234-01-01012020"},
		{"Religion", "พุทธ"}, {"ThaiBirthday", "1 ม.ค. 2533"}, {"ThaiExpirationDate", "1 ม.ค. 2573"},
		{"ThaiIssueDate", "1 ม.ค. 2563"},
	},
	"SingaporeIDCard": {
		{"ChName", "陈美玲"}, {"EnName", "TAN MEI LING"}, {"ID", "S0000001I"}, {"Sex", "F"},
		{"CountryOfBirth", "SINGAPORE"}, {"Birthday", "01-01-1990"}, {"Address", "BLK 1 SAMPLE AVENUE 1 #01-01"},
		{"Race", "CHINESE"}, {"NRICCode", "S0000001I"}, {"PostCode", "000001"}, {"DateOfIssue", "01-01-2015"},
	},
	"MainlandIDCard": {
		{"Name", "张三"}, {"Sex", "男"}, {"Nation", "汉"}, {"Birthday", "1990/1/1"},
		{"Address", "北京市东城区示例路1号"}, {"IdNum", "110101199001010000"},
		{"Authority", "北京市公安局东城分局"}, {"ValidDate", "2015.01.01-2035.01.01"},
	},
}
