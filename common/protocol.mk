# protocol library (owned by the spine runtime work)
