package model

import "errors"

// Sentinel errors of the model package.
var (
	// ErrTooLittleData means the training window cannot support a model.
	ErrTooLittleData = errors.New("not enough data to train")
	// ErrBadRow means a feature row does not have the shape the model was
	// trained on.
	ErrBadRow = errors.New("feature row does not fit the model")
	// ErrBadBundle means a model bundle or its registry entry is damaged:
	// unreadable, or its parts disagree.
	ErrBadBundle = errors.New("model bundle is damaged")
	// ErrNoModel means the registry has no model of that id.
	ErrNoModel = errors.New("no such model")
	// ErrNoPromoted means no model has been promoted yet.
	ErrNoPromoted = errors.New("no model has been promoted")
	// ErrStaleModel means a model trained on another version of the
	// feature catalogue: its features' definitions have changed since.
	ErrStaleModel = errors.New("model trained on another feature catalogue")
	// ErrBadModelID means a model id that cannot name a registry entry.
	ErrBadModelID = errors.New("not a model id")
)
