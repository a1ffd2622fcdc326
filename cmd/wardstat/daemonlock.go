package main

import (
	"errors"
	"fmt"
	"time"

	"wardstat/schedules"
	"wardstat/warehouse"
)

// heldByDaemon turns a refusal to open the warehouse for writing, when the
// daemon (wardstat serve) holds it, into one line that names it and says
// what to do: the daemon holds the warehouse for its whole life, so
// waiting for it to finish, as for a load, would never end. Any other
// error comes back as it is.
func (a *app) heldByDaemon(err error) error {
	if !errors.Is(err, warehouse.ErrLocked) {
		return err
	}
	pid, writer, herr := warehouse.LockHolder(a.dbPath)
	if herr != nil || !writer || pid == 0 {
		return err
	}
	addr, ok := schedules.HeldByDaemon(a.dbPath, pid)
	if !ok {
		return err
	}
	return fmt.Errorf(a.t(
		"kho %s đang được tiến trình nền wardstat serve giữ (PID %d, http://%s/runs), suốt thời gian nó chạy: nó tự nạp các nguồn đã cấu hình; hãy đặt tệp vào một thư mục nhận tệp của nó, hoặc dừng tiến trình nền rồi chạy lại lệnh này: %w",
		"warehouse %s is held by the wardstat daemon (serve, PID %d, http://%s/runs) for as long as it runs: it loads its configured sources itself; put the file in one of its drop folders, or stop the daemon and run this again: %w"),
		a.dbPath, pid, addr, warehouse.ErrLocked)
}

// snapshotNote is the line a reader prints when it reads the snapshot
// because another process holds the warehouse: the daemon (named, for as
// long as it runs) or a load (which ends).
func (a *app) snapshotNote(published time.Time, snap string) string {
	at := published.In(vietnam).Format("2006-01-02 15:04")
	if pid, writer, err := warehouse.LockHolder(a.dbPath); err == nil && writer && pid != 0 {
		if _, ok := schedules.HeldByDaemon(a.dbPath, pid); ok {
			return fmt.Sprintf(a.t("(kho do tiến trình nền wardstat serve giữ (PID %d); đọc bản công bố lúc %s: %s)",
				"(the warehouse is held by the wardstat daemon (serve, PID %d); reading the snapshot published at %s: %s)"), pid, at, snap)
		}
	}
	return fmt.Sprintf(a.t("(kho đang được nạp; đọc bản công bố lúc %s: %s)", "(the warehouse is being loaded; reading the snapshot published at %s: %s)"), at, snap)
}
