package main

import (
	"errors"
	"os"
)

// arrowFormatRefused refuses --format arrow where it cannot be written:
// to a terminal (it is binary), or in a wardstat built without DuckDB's
// Arrow interface.
func (a *app) arrowFormatRefused(format string) error {
	if format != "arrow" {
		return nil
	}
	if !arrowBuiltIn {
		return errors.New(a.t("wardstat này được dựng không có giao diện Arrow của DuckDB nên không có --format arrow; hãy dựng bằng make build",
			"this wardstat was built without DuckDB's Arrow interface, so it has no --format arrow; build it with make build"))
	}
	if out, ok := a.stdout.(*os.File); ok && isTerminal(out) {
		return usageError{errors.New(a.t("luồng Arrow là dữ liệu nhị phân, không in ra màn hình được: hãy chuyển nó sang tệp hay chương trình khác, ví dụ wardstat sql --format arrow \"…\" > kq.arrows",
			"an Arrow stream is binary and cannot be shown on a terminal: redirect it to a file or a program, e.g. wardstat sql --format arrow \"…\" > result.arrows"))}
	}
	return nil
}
