-- searchMessages finds messages by their attachments' names (src/db/sql/search.ts, nameWords): each name's letter and
-- digit runs as English words. Without an index on that expression every search reads every attachment of the tenant
-- and builds its vector. The expression is the query's, character for character, so the planner can use the index.
-- Prisma cannot describe an expression index; its migration diff leaves the index alone.
CREATE INDEX "Attachment_name_search_idx" ON "Attachment" USING GIN (to_tsvector('english', regexp_replace(name, '[^[:alnum:]]+', ' ', 'g')));
