-- No dossier completes or withdraws before it was received.
SELECT ward_code, dossier_code,
       'hồ sơ ' || dossier_code || ' kết thúc ngày ' || strftime(coalesce(completed_at, withdrawn_at), '%d/%m/%Y')
       || ', trước ngày tiếp nhận ' || strftime(received_at, '%d/%m/%Y') AS problem,
       'dossier ' || dossier_code || ' closes on ' || strftime(coalesce(completed_at, withdrawn_at), '%d/%m/%Y')
       || ', before its receipt on ' || strftime(received_at, '%d/%m/%Y') AS problem_en
FROM dossiers
WHERE completed_at::DATE < received_at::DATE OR withdrawn_at::DATE < received_at::DATE
