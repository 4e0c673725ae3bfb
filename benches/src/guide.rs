//! The user guide under `docs/`, compiled and run as doc tests so its examples cannot rot.
