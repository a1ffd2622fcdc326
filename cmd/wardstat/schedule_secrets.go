package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"wardstat/internal/msg"
	"wardstat/schedules"
)

// configRunnerPulling reads a configuration for a command that pulls only
// the named sources (all of them when pullAll): the applicant-hash key's
// variable and the token variables of the sources it pulls must be set, a
// source it does not pull may lack its token. Each missing variable is one
// line naming the file, its line, the source and the variable.
func (a *app) configRunnerPulling(ctx context.Context, path string, pullAll bool, pulled []string, log *slog.Logger, m *schedules.Metrics) (*schedules.Runner, func(), error) {
	cfg, err := a.loadConfigOffline(path)
	if err != nil {
		return nil, nil, err
	}
	if err := neededSecrets(path, cfg, pullAll, pulled); err != nil {
		return nil, nil, err
	}
	return a.runner(ctx, cfg, log, m)
}

// neededSecrets refuses when a variable the pulls need is not set.
func neededSecrets(path string, cfg *schedules.Config, pullAll bool, pulled []string) error {
	pulls := map[string]bool{}
	for i, s := range cfg.Sources {
		for _, name := range pulled {
			if s.Name == name {
				pulls[fmt.Sprintf("$.sources[%d].token_env", i)] = true
			}
		}
	}
	var errs []error
	for _, ms := range cfg.MissingSecrets() {
		switch {
		case ms.Path == "$.pii_key_env":
			errs = append(errs, msg.Errorf("%s: dòng %d: pii_key_env: biến môi trường %s chưa được đặt; cần nó để băm định danh người nộp khi nạp; hãy đặt rồi chạy lại",
				"%s: line %d: pii_key_env: the environment variable %s is not set; loads need it to hash the applicants' identity; set it and run again",
				path, ms.Line, ms.Variable))
		case pullAll || pulls[ms.Path]:
			errs = append(errs, msg.Errorf("%s: dòng %d: %s: biến môi trường %s chưa được đặt; nguồn này cần nó để kéo dữ liệu; hãy đặt rồi chạy lại",
				"%s: line %d: %s: the environment variable %s is not set; this source needs it to pull; set it and run again",
				path, ms.Line, strings.TrimPrefix(ms.Path, "$."), ms.Variable))
		}
	}
	return errors.Join(errs...)
}
