-- The address of the server that answered the final request of a capture (the address the
-- network guard checked and the connection went to): WARC-IP-Address in exports.
ALTER TABLE snapshots ADD COLUMN ip_address TEXT;
