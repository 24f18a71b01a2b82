-- The search index takes new entries straight into its tree. With GIN's fast update (the default), they wait in an
-- unsorted pending list of up to 4 MB (tens of thousands of entries) that every search reads in full, and the
-- insert that fills it pays for merging all of it. Messages are short and arrive one at a time.
ALTER INDEX "Message_searchVector_idx" SET (fastupdate = off);

-- Turning fast update off leaves what is already pending in the list: merge it now.
SELECT gin_clean_pending_list('"Message_searchVector_idx"'::regclass);
