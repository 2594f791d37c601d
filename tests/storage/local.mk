# tests/storage: the storage engine's standalone tests
