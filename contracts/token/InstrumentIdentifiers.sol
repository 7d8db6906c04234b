// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title InstrumentIdentifiers
/// @notice On-chain checks of the standard identifiers an instrument carries: ISIN (ISO 6166,
/// Luhn check digit), LEI (ISO 17442, ISO 7064 mod 97-10 check digits), CFI (ISO 10962) and
/// currency (ISO 4217) shapes. Off-chain tooling checks the same with python-stdnum first.
library InstrumentIdentifiers {
    /// @notice Whether `isin` has the ISIN shape (2 letters, 9 alphanumerics, 1 digit) and check digit.
    function isValidIsin(bytes12 isin) internal pure returns (bool) {
        uint256 sum = 0;
        bool doubled = false;
        for (uint256 i = 12; i > 0; --i) {
            uint256 c = uint8(isin[i - 1]);
            uint256 v;
            if (c >= 0x30 && c <= 0x39) {
                if (i <= 2) return false; // the country prefix is letters
                v = c - 0x30;
            } else if (c >= 0x41 && c <= 0x5A) {
                if (i == 12) return false; // the check digit is a digit
                v = c - 0x37;
            } else {
                return false;
            }
            // Letters expand to two digits (A = 10 ... Z = 35); Luhn runs right to left.
            if (v >= 10) {
                (sum, doubled) = _luhnStep(sum, doubled, v % 10);
                (sum, doubled) = _luhnStep(sum, doubled, v / 10);
            } else {
                (sum, doubled) = _luhnStep(sum, doubled, v);
            }
        }
        return sum % 10 == 0;
    }

    /// @notice Whether `lei` is 20 alphanumerics whose mod 97-10 check (ISO 7064) gives 1.
    function isValidLei(bytes20 lei) internal pure returns (bool) {
        uint256 remainder = 0;
        for (uint256 i; i < 20; ++i) {
            uint256 c = uint8(lei[i]);
            if (c >= 0x30 && c <= 0x39) {
                remainder = (remainder * 10 + (c - 0x30)) % 97;
            } else if (c >= 0x41 && c <= 0x5A && i < 18) {
                remainder = (remainder * 100 + (c - 0x37)) % 97;
            } else {
                return false;
            }
        }
        return remainder == 1;
    }

    /// @notice Whether `cfi` is six capital letters starting with an ISO 10962 category.
    function isValidCfi(bytes6 cfi) internal pure returns (bool) {
        for (uint256 i; i < 6; ++i) {
            if (!_isCapital(cfi[i])) return false;
        }
        // Categories E, C, D, R, O, F, S, H, I, J, K, L, T, M.
        return _inSet(cfi[0], "ECDROFSHIJKLTM");
    }

    /// @notice Whether `currency` is three capital letters (ISO 4217 alphabetic shape).
    function isValidCurrency(bytes3 currency) internal pure returns (bool) {
        return _isCapital(currency[0]) && _isCapital(currency[1]) && _isCapital(currency[2]);
    }

    function _luhnStep(uint256 sum, bool doubled, uint256 digit) private pure returns (uint256, bool) {
        if (doubled) {
            digit *= 2;
            if (digit > 9) digit -= 9;
        }
        return (sum + digit, !doubled);
    }

    function _isCapital(bytes1 c) private pure returns (bool) {
        return c >= 0x41 && c <= 0x5A;
    }

    function _inSet(bytes1 c, bytes14 set) private pure returns (bool) {
        for (uint256 i; i < 14; ++i) {
            if (set[i] == c) return true;
        }
        return false;
    }
}
