#!/usr/bin/env bash
# Ảnh màn hình của hướng dẫn sử dụng (docs/anh/): chạy các bài kiểm tra trình duyệt chụp những trang đó
# (cỡ máy tính để bàn, dữ liệu mẫu), rồi chép ảnh vào docs/anh/ để bản cài đặt có hướng dẫn kèm hình.
# Chạy lại khi giao diện đổi, xem ảnh, rồi commit docs/anh/. Cần: `swift build` và scripts/setup-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-tools.sh
KPI_BIN="${KPI_BIN:-$PWD/.build/debug/kpi}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
KPI_DATA_DIR="$work/template" KPI_BCRYPT_COST=8 "$KPI_BIN" demo > "$work/demo.txt"
# Ảnh nào, từ bài kiểm tra nào (tên ảnh của hàm shot() trong e2e/).
shots=(tong-quan-can-bo tong-quan-tham-muu bao-cao bao-cao-so-ket phan-tich-cong-bang viec-cua-toi viec-nghiem-thu phieu-tu-danh-gia phe-duyet giai-trinh bo-chi-so-xem-truoc cai-dat cach-nhan-thong-bao)
tests=(test_home.py test_report.py test_work.py test_evaluation_workflow.py test_frameworks.py test_settings.py test_mail.py)
rm -f e2e/screenshots/desktop-*.png
(cd e2e && KPI_E2E_TEMPLATE="$work/template" KPI_BIN="$KPI_BIN" KPI_BCRYPT_COST=8 KPI_DEMO_LOGINS="$work/demo.txt" \
  python3 -m pytest -q -k "desktop or month_from_self_assessment" "${tests[@]}")
mkdir -p docs/anh
for s in "${shots[@]}"; do
  cp "e2e/screenshots/desktop-$s.png" "docs/anh/$s.png"
  echo "docs/anh/$s.png"
done
