"""Vocabulary for synthetic catalogues (buildlib/synthetic/): real Vietnamese words for
procedure names, documents, steps and agencies, combined at random there. Data, not logic."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    """Vocabulary of one field: name groups (verbs, objects, result template) and agencies."""

    groups: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...]
    department: tuple[str, str]  # provincial department (agency id, name before the province)
    ministry: tuple[str, str]
    police: bool = False  # commune-level work done by the commune police, not the commune UBND


_TU_PHAP = (("so-tu-phap", "Sở Tư pháp"), ("bo-tu-phap", "Bộ Tư pháp"))
_CONG_AN = (("cong-an-tinh", "Công an"), ("bo-cong-an", "Bộ Công an"))
_NONG_NGHIEP = (
    ("so-nong-nghiep-va-moi-truong", "Sở Nông nghiệp và Môi trường"),
    ("bo-nong-nghiep-va-moi-truong", "Bộ Nông nghiệp và Môi trường"),
)
CERTIFICATE = "{Obj}"  # result template: the certificate named by the object itself

TOPICS: dict[str, Topic] = {
    "ho-tich": Topic(
        (
            (
                ("Đăng ký", "Đăng ký lại", "Ghi vào Sổ hộ tịch việc"),
                (
                    "khai sinh",
                    "kết hôn",
                    "khai tử",
                    "giám hộ",
                    "chấm dứt giám hộ",
                    "nhận cha, mẹ, con",
                    "thay đổi, cải chính, bổ sung thông tin hộ tịch",
                ),
                "Trích lục {action}",
            ),
            (("Cấp", "Cấp lại"), ("Giấy xác nhận tình trạng hôn nhân",), CERTIFICATE),
            (("Cấp bản sao",), ("trích lục hộ tịch",), "Bản sao trích lục hộ tịch"),
        ),
        *_TU_PHAP,
    ),
    "chung-thuc": Topic(
        (
            (
                ("Chứng thực",),
                (
                    "bản sao từ bản chính giấy tờ, văn bản",
                    "chữ ký trong các giấy tờ, văn bản",
                    "chữ ký người dịch",
                    "hợp đồng, giao dịch liên quan đến tài sản là động sản",
                    "văn bản thỏa thuận phân chia di sản",
                    "di chúc",
                ),
                "Giấy tờ, văn bản được chứng thực",
            ),
        ),
        *_TU_PHAP,
    ),
    "ly-lich-tu-phap": Topic(
        (
            (("Cấp",), ("Phiếu lý lịch tư pháp số 1", "Phiếu lý lịch tư pháp số 2"), CERTIFICATE),
            (("Đính chính", "Cập nhật"), ("thông tin lý lịch tư pháp",), "Văn bản trả lời"),
        ),
        *_CONG_AN,
        police=True,
    ),
    "ho-kinh-doanh": Topic(
        (
            (
                ("Đăng ký", "Đăng ký thay đổi nội dung", "Thông báo"),
                (
                    "thành lập hộ kinh doanh",
                    "tạm ngừng kinh doanh của hộ kinh doanh",
                    "chấm dứt hoạt động hộ kinh doanh",
                ),
                "Giấy xác nhận {action}",
            ),
            (
                ("Cấp", "Cấp lại", "Cấp đổi"),
                ("Giấy chứng nhận đăng ký hộ kinh doanh",),
                CERTIFICATE,
            ),
        ),
        ("so-tai-chinh", "Sở Tài chính"),
        ("bo-tai-chinh", "Bộ Tài chính"),
    ),
    "dat-dai": Topic(
        (
            (
                ("Đăng ký", "Đăng ký biến động"),
                (
                    "quyền sử dụng đất lần đầu",
                    "thế chấp quyền sử dụng đất",
                    "chuyển nhượng quyền sử dụng đất",
                    "tách thửa, hợp thửa đất",
                ),
                "Giấy chứng nhận đã xác nhận {action}",
            ),
            (
                ("Cấp", "Cấp lại", "Cấp đổi", "Đính chính"),
                ("Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",),
                CERTIFICATE,
            ),
            (("Gia hạn",), ("thời hạn sử dụng đất",), "Quyết định {action}"),
        ),
        *_NONG_NGHIEP,
    ),
    "xay-dung": Topic(
        (
            (
                ("Cấp", "Cấp lại", "Điều chỉnh", "Gia hạn"),
                (
                    "giấy phép xây dựng nhà ở riêng lẻ",
                    "giấy phép xây dựng công trình",
                    "giấy phép di dời công trình",
                    "chứng chỉ hành nghề hoạt động xây dựng",
                ),
                CERTIFICATE,
            ),
            (
                ("Thẩm định",),
                ("báo cáo kinh tế - kỹ thuật đầu tư xây dựng", "thiết kế xây dựng"),
                "Văn bản thông báo kết quả {action}",
            ),
        ),
        ("so-xay-dung", "Sở Xây dựng"),
        ("bo-xay-dung", "Bộ Xây dựng"),
    ),
    "cu-tru": Topic(
        (
            (
                ("Đăng ký", "Xóa đăng ký", "Gia hạn"),
                ("thường trú", "tạm trú"),
                "Thông báo {action}",
            ),
            (
                ("Xác nhận", "Khai báo"),
                ("thông tin về cư trú", "tạm vắng", "lưu trú"),
                "Văn bản {action}",
            ),
        ),
        *_CONG_AN,
        police=True,
    ),
    "can-cuoc": Topic(
        (
            (
                ("Cấp", "Cấp đổi", "Cấp lại"),
                ("thẻ căn cước", "giấy chứng nhận căn cước"),
                CERTIFICATE,
            ),
            (
                ("Xác nhận",),
                ("số chứng minh nhân dân, số định danh cá nhân",),
                "Văn bản {action}",
            ),
        ),
        *_CONG_AN,
        police=True,
    ),
    "dinh-danh-dien-tu": Topic(
        (
            (
                ("Cấp", "Khóa", "Mở khóa"),
                ("tài khoản định danh điện tử mức độ 2", "tài khoản định danh điện tử cho tổ chức"),
                "Thông báo kết quả {action}",
            ),
        ),
        *_CONG_AN,
        police=True,
    ),
    "giay-phep-lai-xe": Topic(
        (
            (
                ("Cấp", "Cấp đổi", "Cấp lại"),
                ("giấy phép lái xe", "giấy phép lái xe quốc tế"),
                CERTIFICATE,
            ),
            (("Sát hạch",), ("lái xe hạng A1", "lái xe hạng B"), "Kết quả {action}"),
        ),
        *_CONG_AN,
        police=True,
    ),
    "giam-ngheo": Topic(
        (
            (
                ("Xác nhận", "Công nhận"),
                (
                    "hộ nghèo, hộ cận nghèo",
                    "hộ thoát nghèo",
                    "hộ làm nông nghiệp có mức sống trung bình",
                ),
                "Giấy chứng nhận {action}",
            ),
        ),
        *_NONG_NGHIEP,
    ),
    "bao-tro-xa-hoi": Topic(
        (
            (
                ("Thực hiện", "Điều chỉnh", "Thôi hưởng"),
                (
                    "trợ cấp xã hội hằng tháng",
                    "hỗ trợ kinh phí chăm sóc, nuôi dưỡng",
                    "trợ giúp xã hội khẩn cấp",
                ),
                "Quyết định {action}",
            ),
            (("Xác định", "Xác định lại"), ("mức độ khuyết tật",), "Biên bản {action}"),
            (("Cấp", "Cấp đổi"), ("Giấy xác nhận khuyết tật",), CERTIFICATE),
        ),
        ("so-y-te", "Sở Y tế"),
        ("bo-y-te", "Bộ Y tế"),
    ),
    "giao-duc": Topic(
        (
            (
                ("Cấp", "Cấp lại", "Chỉnh sửa nội dung"),
                ("văn bằng, chứng chỉ", "bản sao văn bằng, chứng chỉ từ sổ gốc"),
                CERTIFICATE,
            ),
            (
                ("Công nhận",),
                ("trường đạt chuẩn quốc gia", "xã đạt chuẩn phổ cập giáo dục"),
                "Quyết định {action}",
            ),
            (
                ("Chuyển trường",),
                ("cho học sinh trung học cơ sở", "cho học sinh trung học phổ thông"),
                "Văn bản đồng ý tiếp nhận",
            ),
        ),
        ("so-giao-duc-va-dao-tao", "Sở Giáo dục và Đào tạo"),
        ("bo-giao-duc-va-dao-tao", "Bộ Giáo dục và Đào tạo"),
    ),
    "nguoi-co-cong": Topic(
        (
            (
                ("Công nhận", "Giải quyết chế độ ưu đãi đối với"),
                (
                    "thân nhân liệt sĩ",
                    "người có công giúp đỡ cách mạng",
                    "thương binh",
                    "người hoạt động kháng chiến bị nhiễm chất độc hóa học",
                ),
                "Quyết định {action}",
            ),
            (
                ("Cấp", "Cấp lại"),
                ("Giấy chứng nhận thương binh", "Bằng Tổ quốc ghi công"),
                CERTIFICATE,
            ),
        ),
        ("so-noi-vu", "Sở Nội vụ"),
        ("bo-noi-vu", "Bộ Nội vụ"),
    ),
    "lien-thong": Topic(
        (
            (
                ("Liên thông thủ tục hành chính về",),
                (
                    "đăng ký khai sinh, thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
                    "đăng ký khai tử, xóa đăng ký thường trú, trợ cấp mai táng phí",
                ),
                "Kết quả giải quyết các thủ tục liên thông",
            ),
        ),
        *_TU_PHAP,
    ),
}
GENERIC = Topic(
    (
        (
            ("Cấp", "Cấp lại", "Gia hạn"),
            ("giấy phép hoạt động", "giấy chứng nhận đủ điều kiện", "văn bản chấp thuận"),
            CERTIFICATE,
        ),
    ),
    ("so-noi-vu", "Sở Nội vụ"),
    ("bo-noi-vu", "Bộ Nội vụ"),
)
QUALIFIERS = ("",) * 6 + (
    " có yếu tố nước ngoài",
    " cho người Việt Nam định cư ở nước ngoài",
    " (trường hợp bị mất, hư hỏng)",
    " theo yêu cầu của tổ chức",
)
# Agencies every catalogue has: (id, name, level, kind, parent); the province follows the name.
GENERIC_AGENCIES = (
    ("ubnd-tinh", "Ủy ban nhân dân", "tinh", "ubnd", None),
    (
        "trung-tam-pvhcc-tinh",
        "Trung tâm Phục vụ hành chính công",
        "tinh",
        "trung-tam-pvhcc",
        "ubnd-tinh",
    ),
)
COMMON_AGENCIES = (
    ("ubnd-cap-xa", "Ủy ban nhân dân xã, phường, đặc khu nơi cư trú", "xa", "ubnd"),
    ("trung-tam-pvhcc-cap-xa", "Trung tâm Phục vụ hành chính công cấp xã", "xa", "trung-tam-pvhcc"),
    ("cong-an-cap-xa", "Công an xã, phường, đặc khu nơi cư trú", "xa", "cong-an"),
    ("ubnd-cap-huyen", "Ủy ban nhân dân cấp huyện (trước 01/7/2025)", "huyen", "ubnd"),
    ("bo-phan-mot-cua-cap-huyen", "Bộ phận Một cửa cấp huyện (trước 01/7/2025)", "huyen", "khac"),
)
COMMUNE_AGENCIES = 12
CASES = (
    ("yeu-to-nuoc-ngoai", "Trường hợp có yếu tố nước ngoài"),
    ("uy-quyen", "Trường hợp ủy quyền thực hiện"),
    ("bi-mat", "Trường hợp bị mất, hư hỏng"),
    ("thay-doi-thong-tin", "Trường hợp thay đổi thông tin"),
    ("to-chuc", "Trường hợp người yêu cầu là tổ chức"),
)
# (id, name template, flag): flag "form" has a template, "presented" is only shown,
# "optional" is required only in some situations, "copy" is a copy rather than an original.
DOCUMENTS = (
    ("to-khai", "Tờ khai {action} theo mẫu", "form"),
    ("don-de-nghi", "Đơn đề nghị {action}", "form"),
    (
        "giay-to-tuy-than",
        "Thẻ căn cước, Hộ chiếu hoặc giấy tờ tùy thân có ảnh còn giá trị",
        "presented",
    ),
    ("van-ban-uy-quyen", "Văn bản ủy quyền theo quy định của pháp luật", "optional"),
    ("giay-to-cu-tru", "Giấy tờ chứng minh thông tin về cư trú", "optional"),
    ("anh-chan-dung", "02 ảnh chân dung cỡ 4 x 6 cm, chụp không quá 06 tháng", ""),
    ("ban-sao-giay-chung-nhan", "Bản sao giấy chứng nhận đã được cấp", "copy"),
    ("ban-ve", "Bản vẽ mặt bằng, sơ đồ vị trí", "copy"),
    ("giay-xac-nhan", "Giấy xác nhận của cơ quan, tổ chức có thẩm quyền", ""),
    ("bien-ban", "Biên bản kiểm tra, xác minh", ""),
    ("hop-dong", "Hợp đồng, văn bản về giao dịch có liên quan", "copy"),
    ("quyet-dinh", "Quyết định hoặc văn bản của cơ quan có thẩm quyền", "copy"),
    ("giay-to-chung-minh", "Giấy tờ chứng minh thuộc đối tượng được hưởng chính sách", "optional"),
    ("danh-sach", "Danh sách kèm theo", "optional"),
)
STEPS = (
    "Tổ chức, cá nhân chuẩn bị hồ sơ {action} và nộp tại {intake}.",
    "Cán bộ tiếp nhận kiểm tra tính đầy đủ, hợp lệ của hồ sơ; hồ sơ chưa đầy đủ thì hướng dẫn "
    "bổ sung, hoàn thiện một lần bằng văn bản.",
    "Cơ quan có thẩm quyền thẩm tra hồ sơ; trường hợp cần xác minh thì thông báo thời hạn "
    "trả kết quả mới.",
    "Lãnh đạo cơ quan có thẩm quyền xem xét, ký {result}.",
    "Trả kết quả trực tiếp, qua dịch vụ bưu chính hoặc trên Cổng Dịch vụ công quốc gia.",
)
CONDITIONS = (
    "Người yêu cầu có đủ năng lực hành vi dân sự.",
    "Hồ sơ nộp trong thời hạn quy định kể từ ngày phát sinh sự kiện.",
    "Không thuộc trường hợp đang bị cơ quan có thẩm quyền xem xét, xử lý.",
)
LIFE_EVENTS = (
    ("khai-sinh", "Khai sinh cho trẻ em"),
    ("ket-hon", "Kết hôn"),
    ("thay-doi-noi-cu-tru", "Thay đổi nơi cư trú"),
    ("thanh-lap-ho-kinh-doanh", "Thành lập hộ kinh doanh"),
    ("xay-nha-o", "Xây dựng nhà ở"),
    ("mua-ban-nha-dat", "Mua bán nhà, đất"),
    ("nghi-huu", "Nghỉ hưu"),
    ("tro-giup-xa-hoi", "Hưởng trợ giúp xã hội"),
)
AMOUNTS = (0, 5_000, 8_000, 10_000, 15_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000)
