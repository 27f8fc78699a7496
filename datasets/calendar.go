package datasets

import "time"

// Calendar arithmetic on Date lives here and in daysFromCivil (ledger.go),
// so that no other package repeats it: the features' month-end flags and the
// KPIs' calendar months use these.

// civilFromDays is daysFromCivil's inverse: the proleptic Gregorian year,
// month (1-12) and day of days since 1970-01-01 (Howard Hinnant's
// days-to-civil, in integers because KPIs call it once per invoice).
func civilFromDays(days int) (y, m, d int) {
	z := days + 719468 // days since 0000-03-01
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365], from March 1
	mp := (5*doy + 2) / 153                                // [0, 11], March = 0
	d = doy - (153*mp+2)/5 + 1
	y = yoe + era*400
	m = mp + 3
	if m > 12 {
		m -= 12
		y++
	}
	return y, m, d
}

// Civil returns d's year, month and day of the month.
func (d Date) Civil() (year int, month time.Month, day int) {
	y, m, dd := civilFromDays(int(d))
	return y, time.Month(m), dd
}

// MonthIndex numbers d's calendar month: year×12 + month − 1, so that
// consecutive months have consecutive numbers.
func (d Date) MonthIndex() int {
	y, m, _ := civilFromDays(int(d))
	return y*12 + m - 1
}

// MonthStart is the first day of the month numbered m (see MonthIndex).
func MonthStart(m int) Date {
	y, mo := m/12, m%12
	if mo < 0 {
		y, mo = y-1, mo+12
	}
	return Date(daysFromCivil(y, mo+1, 1))
}

// MonthEnd is the last day of d's month.
func (d Date) MonthEnd() Date { return MonthStart(d.MonthIndex()+1) - 1 }

// AddMonths moves d by n calendar months (n may be negative), keeping its
// day of the month where the month has it and taking the month's last day
// where it has not: 31 May + 6 months is 30 November, not 1 December (as
// time.AddDate would normalise it). A review due "six months after 31 May"
// is due in November.
func (d Date) AddMonths(n int) Date {
	y, m, day := civilFromDays(int(d))
	idx := y*12 + m - 1 + n
	return min(MonthStart(idx)+Date(day-1), MonthStart(idx+1)-1)
}
