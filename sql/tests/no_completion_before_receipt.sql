-- No dossier completes or withdraws before it was received.
SELECT ward_code, dossier_code,
       'dossier ' || dossier_code || ' closes on ' || strftime(coalesce(completed_at, withdrawn_at), '%d/%m/%Y')
       || ', before its receipt on ' || strftime(received_at, '%d/%m/%Y') AS problem
FROM dossiers
WHERE completed_at::DATE < received_at::DATE OR withdrawn_at::DATE < received_at::DATE
