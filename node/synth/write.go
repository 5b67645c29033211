package synth

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// Files are the paths of an organisation's generated CSV files and the
// number of data rows, header excluded, in each.
type Files struct {
	Customers, Transactions, Campaign string

	CustomerRows, TransactionRows, CampaignRows int
}

// File names WriteOrg uses inside its directory.
const (
	CustomersFile    = "customers.csv"
	TransactionsFile = "transactions.csv"
	CampaignFile     = "campaign.csv"
)

// WriteOrg writes customers.csv, transactions.csv and campaign.csv for p
// into dir, creating dir if needed. Each file is written to a temporary name
// and renamed into place, so a failed run leaves no partial file behind.
// The files are readable by their owner only.
func WriteOrg(dir string, p Profile) (Files, error) {
	if err := p.Validate(); err != nil {
		return Files{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Files{}, fmt.Errorf("synth %s: %w", p.Name, err)
	}
	f := Files{
		Customers:    filepath.Join(dir, CustomersFile),
		Transactions: filepath.Join(dir, TransactionsFile),
		Campaign:     filepath.Join(dir, CampaignFile),
	}
	var err error
	if f.CustomerRows, err = writeFile(f.Customers, p.writeCustomers); err != nil {
		return Files{}, err
	}
	if f.TransactionRows, err = writeFile(f.Transactions, p.writeTransactions); err != nil {
		return Files{}, err
	}
	if f.CampaignRows, err = writeFile(f.Campaign, p.writeCampaign); err != nil {
		return Files{}, err
	}
	return f, nil
}

// writeFile atomically replaces path with what write produces.
func writeFile(path string, write func(io.Writer) (int, error)) (rows int, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("synth: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if rows, err = write(tmp); err != nil {
		return 0, err
	}
	if err = tmp.Close(); err != nil {
		return 0, fmt.Errorf("synth %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("synth %s: %w", path, err)
	}
	return rows, nil
}

// csvWriter writes CSV lines built by the caller into a reusable buffer.
// Callers only emit fields that need no quoting. After the first write
// error every further line is dropped and close reports the error.
type csvWriter struct {
	w    *bufio.Writer
	buf  []byte
	rows int
	err  error
}

func newCSVWriter(w io.Writer) *csvWriter {
	return &csvWriter{w: bufio.NewWriterSize(w, 64<<10), buf: make([]byte, 0, 256)}
}

// header writes the header line.
func (o *csvWriter) header(h string) {
	o.buf = append(o.buf[:0], h...)
	o.write()
}

// line returns the empty line buffer to append a row's fields to.
func (o *csvWriter) line() []byte { return o.buf[:0] }

// end writes the row b, which was built from line, and counts it.
func (o *csvWriter) end(b []byte) {
	o.buf = b
	o.write()
	o.rows++
}

func (o *csvWriter) write() {
	if o.err != nil {
		return
	}
	o.buf = append(o.buf, '\n')
	_, o.err = o.w.Write(o.buf)
}

// close flushes the output and returns the number of data rows written.
func (o *csvWriter) close() (int, error) {
	if o.err == nil {
		o.err = o.w.Flush()
	}
	if o.err != nil {
		return 0, o.err
	}
	return o.rows, nil
}

// appendID appends prefix, a dash and n zero-padded to idDigits digits.
func appendID(b []byte, prefix string, n int) []byte {
	b = append(b, prefix...)
	b = append(b, '-')
	return appendPadded(b, n, idDigits)
}

// appendPadded appends n zero-padded to at least width digits.
func appendPadded(b []byte, n, width int) []byte {
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], int64(n), 10)
	for i := len(d); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

func appendInt(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, '1')
	}
	return append(b, '0')
}

// appendCents appends a non-negative amount of cents as units with two
// decimals.
func appendCents(b []byte, c int64) []byte {
	b = strconv.AppendInt(b, c/100, 10)
	b = append(b, '.', byte('0'+c%100/10), byte('0'+c%10))
	return b
}

// appendLower appends an ASCII string in lower case.
func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}
