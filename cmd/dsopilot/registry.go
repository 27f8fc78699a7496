package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/dsopilot/dsopilot/model"
)

// The model registry as the commands read it. The default, ./models, is
// relative to wherever the command runs: run from another directory, a
// command found no model and said only "no model has been promoted". Every
// error of a registry read here names the directory looked in, absolute,
// and what to do.

// registryAt is the registry in dir, its errors saying where and what to
// do (registryError). It is what the report reads the models from.
type registryAt struct{ model.Registry }

func (r registryAt) Load(id string) (*model.Bundle, model.Meta, error) {
	b, meta, err := r.Registry.Load(id)
	if err != nil {
		return nil, model.Meta{}, registryError(r.Dir, err)
	}
	return b, meta, nil
}

func (r registryAt) List() ([]model.Meta, string, error) {
	list, promoted, err := r.Registry.List()
	if err != nil {
		return nil, "", registryError(r.Dir, err)
	}
	return list, promoted, nil
}

// loadModel loads model id ("" for the promoted one) from the registry in
// dir.
func loadModel(dir, id string) (*model.Bundle, model.Meta, error) {
	return registryAt{model.Registry{Dir: dir}}.Load(id)
}

// registryWhere names the registry in dir for a message: its absolute path,
// and that it does not exist when it does not.
func registryWhere(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	where := "the model registry " + abs
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		where += " (no such directory)"
	}
	return where
}

// registryFix says how to get a model into the registry in dir, or to
// read another one.
func registryFix(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return fmt.Sprintf("train one there with dsopilot train --registry %s (the first model trained is promoted; "+
		"dsopilot models promote ID promotes another), or give --registry DIR (env DSOPILOT_REGISTRY) naming the registry that holds one", abs)
}

// registryError is err, from reading the registry in dir, with the
// directory and what to do.
func registryError(dir string, err error) error {
	switch {
	case errors.Is(err, model.ErrNoPromoted):
		return fmt.Errorf("%w in %s: %s", err, registryWhere(dir), registryFix(dir))
	case errors.Is(err, model.ErrNoModel):
		return fmt.Errorf("%w in %s: dsopilot models list --registry %s lists the models there; "+
			"or give --registry DIR (env DSOPILOT_REGISTRY) naming the registry that holds it", err, registryWhere(dir), dir)
	}
	return fmt.Errorf("%s: %w", registryWhere(dir), err)
}

// promotedModel loads the registry's promoted model. Without one it
// returns nil and why, as registryError says it (missing); the worklists
// and the credit advice then take risk from payment behaviour, and there
// is no cash forecast.
func promotedModel(registry string, log *slog.Logger) (b *model.Bundle, missing string, err error) {
	b, meta, err := model.Registry{Dir: registry}.Load("")
	switch {
	case err == nil:
		log.Info("using the promoted model", "model", meta.ID)
		return b, "", nil
	case errors.Is(err, model.ErrNoPromoted) || errors.Is(err, model.ErrNoModel):
		missing = registryError(registry, err).Error()
		log.Info("no promoted model: worklists and credit advice take risk from payment behaviour; no cash forecast", "why", missing)
		return nil, missing, nil
	}
	return nil, "", registryError(registry, err)
}
