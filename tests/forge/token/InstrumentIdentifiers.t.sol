// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TestBase} from "../utils/SuiteTest.sol";
import {InstrumentIdentifiers} from "../../../contracts/token/InstrumentIdentifiers.sol";

/// @notice Exposes the internal library functions.
contract IdentifiersHarness {
    function isValidIsin(bytes12 isin) external pure returns (bool) {
        return InstrumentIdentifiers.isValidIsin(isin);
    }

    function isValidLei(bytes20 lei) external pure returns (bool) {
        return InstrumentIdentifiers.isValidLei(lei);
    }

    function isValidCfi(bytes6 cfi) external pure returns (bool) {
        return InstrumentIdentifiers.isValidCfi(cfi);
    }

    function isValidCurrency(bytes3 currency) external pure returns (bool) {
        return InstrumentIdentifiers.isValidCurrency(currency);
    }
}

/// @notice ISIN (Luhn), LEI (ISO 7064 mod 97-10), CFI and currency checks, on published
/// identifiers and against reference implementations written here independently (expand to a
/// digit string first, then run the textbook algorithm over it).
contract InstrumentIdentifiersTest is TestBase {
    IdentifiersHarness internal h;

    bytes internal constant ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    function setUp() public {
        h = new IdentifiersHarness();
    }

    // ------------------------------------------------------------------ ISIN: examples

    function test_isin_validExamples() public view {
        bytes12[10] memory valid = [
            bytes12("US0378331005"), // Apple
            "US5949181045", // Microsoft
            "GB0002634946", // BAE Systems
            "DE000BAY0017", // Bayer (letters in the body)
            "AU0000XVGZA3", // letters next to the check digit
            "NL0000009165",
            "FR0000120271",
            "CH0012032048",
            "XS2021832634",
            "JP3633400001"
        ];
        for (uint256 i; i < valid.length; ++i) {
            assertTrue(h.isValidIsin(valid[i]), string(abi.encodePacked(valid[i])));
        }
    }

    function test_isin_invalidExamples() public view {
        bytes12[12] memory invalid = [
            bytes12("US0378331006"), // wrong check digit
            "US0378331004", // wrong check digit
            "US0378331015", // a body digit changed
            "US0387331005", // adjacent digits transposed
            "0S0378331005", // digit in the country prefix (first)
            "U10378331005", // digit in the country prefix (second)
            "US037833100A", // letter as check digit
            "us0378331005", // lower case
            "US03783310-5", // punctuation
            "US037833100", // 11 characters (NUL check digit)
            bytes12(0), // empty
            "US 378331005" // space
        ];
        for (uint256 i; i < invalid.length; ++i) {
            assertFalse(h.isValidIsin(invalid[i]), string(abi.encodePacked(invalid[i])));
        }
    }

    // ------------------------------------------------------------------ ISIN: fuzz

    /// @notice A random ISIN body (2 letters, 9 alphanumerics) with its Luhn check digit is valid;
    /// every other check digit is invalid.
    function testFuzz_isin_computedCheckDigitIsTheOnlyValidOne(uint256 seed, uint8 otherDigit) public view {
        bytes11 body = _isinBody(seed);
        uint8 check = _isinCheckDigit(body);
        assertTrue(h.isValidIsin(_withIsinCheck(body, check)), "computed check digit");
        uint8 other = uint8(bound(otherDigit, 0, 8));
        if (other >= check) other += 1; // any of the nine other digits
        assertFalse(h.isValidIsin(_withIsinCheck(body, other)), "other check digit");
    }

    /// @notice Exhaustive over the ten digits for a random body: exactly one is valid.
    function testFuzz_isin_exactlyOneCheckDigit(uint256 seed) public view {
        bytes11 body = _isinBody(seed);
        uint256 validCount;
        for (uint8 d; d < 10; ++d) {
            if (h.isValidIsin(_withIsinCheck(body, d))) ++validCount;
        }
        assertEq(validCount, 1, "valid check digits");
    }

    /// @notice Arbitrary 12 bytes: the library agrees with the reference (shape + Luhn).
    function testFuzz_isin_agreesWithReference(bytes12 isin) public view {
        assertEq(h.isValidIsin(isin), _referenceIsin(isin), "isin vs reference");
    }

    /// @notice Mostly well-formed 12 bytes (so the Luhn sum matters, not only the shape).
    function testFuzz_isin_agreesWithReferenceOnShapedInput(uint256 seed, uint8 lastDigit) public view {
        bytes11 body = _isinBody(seed);
        bytes12 isin = _withIsinCheck(body, uint8(bound(lastDigit, 0, 9)));
        assertEq(h.isValidIsin(isin), _referenceIsin(isin), "isin vs reference");
    }

    // ------------------------------------------------------------------ LEI: examples

    function test_lei_validExamples() public view {
        bytes20[6] memory valid = [
            bytes20("HWUPKR0MPOU8FGXBT394"), // Apple
            "7LTWFZYICNSX8D621K86", // Deutsche Bank
            "5493001KJTIIGC8Y1R12", // Bloomberg
            "529900T8BM49AURSDO55",
            "5493000IBP32UQZ0KL24",
            "00000000000000000001" // all digits: 1 mod 97
        ];
        for (uint256 i; i < valid.length; ++i) {
            assertTrue(h.isValidLei(valid[i]), string(abi.encodePacked(valid[i])));
        }
    }

    function test_lei_invalidExamples() public view {
        bytes20[8] memory invalid = [
            bytes20("HWUPKR0MPOU8FGXBT395"), // wrong check digits
            "HWUPKR0MPOU8FGXBT384", // wrong check digits (tens)
            "HWUPKR0MPOU8FGXBT3A4", // letter in the check digits (position 19)
            "7LTWFZYICNSX8D621KA6", // letter in the check digits (position 19)
            "7LTWFZYICNSX8D621K8A", // letter in the check digits (position 20)
            "hwupkr0mpou8fgxbt394", // lower case
            "HWUPKR0MPOU8FGXBT39", // 19 characters (NUL)
            bytes20(0) // empty
        ];
        for (uint256 i; i < invalid.length; ++i) {
            assertFalse(h.isValidLei(invalid[i]), string(abi.encodePacked(invalid[i])));
        }
    }

    // ------------------------------------------------------------------ LEI: fuzz

    /// @notice A random 18-character LEI body with its computed check digits is valid; changing
    /// either check digit to any other digit makes it invalid.
    function testFuzz_lei_computedCheckDigitsValid(uint256 seed, bool tens, uint8 otherDigit) public view {
        bytes18 body = _leiBody(seed);
        uint8 check = _leiCheckDigits(body);
        assertTrue(check >= 2 && check <= 98, "check digits in 02..98");
        bytes20 lei = _withLeiCheck(body, check);
        assertTrue(h.isValidLei(lei), "computed check digits");
        uint8 current = tens ? check / 10 : check % 10;
        uint8 other = uint8(bound(otherDigit, 0, 8));
        if (other >= current) other += 1;
        uint8 changed = tens ? other * 10 + check % 10 : (check / 10) * 10 + other;
        assertFalse(h.isValidLei(_withLeiCheck(body, changed)), "other check digit");
    }

    /// @notice Arbitrary 20 bytes: the library agrees with the reference (shape + mod 97).
    function testFuzz_lei_agreesWithReference(bytes20 lei) public view {
        assertEq(h.isValidLei(lei), _referenceLei(lei), "lei vs reference");
    }

    /// @notice Well-formed bodies with arbitrary numeric check digits: agrees with the reference.
    function testFuzz_lei_agreesWithReferenceOnShapedInput(uint256 seed, uint8 checkDigits) public view {
        bytes20 lei = _withLeiCheck(_leiBody(seed), uint8(bound(checkDigits, 0, 99)));
        assertEq(h.isValidLei(lei), _referenceLei(lei), "lei vs reference");
    }

    // ------------------------------------------------------------------ CFI

    function test_cfi_everyCategoryLetter() public view {
        bytes memory letters = "ECDROFSHIJKLTM";
        for (uint256 i; i < letters.length; ++i) {
            bytes6 cfi = bytes6(bytes.concat(letters[i], "XXXXX"));
            assertTrue(h.isValidCfi(cfi), string(abi.encodePacked(cfi)));
        }
    }

    function test_cfi_examples() public view {
        assertTrue(h.isValidCfi("ESVUFR"), "ordinary shares");
        assertTrue(h.isValidCfi("DBFTFB"), "bond");
        assertFalse(h.isValidCfi("ABCDEF"), "A is no category");
        assertFalse(h.isValidCfi("ZXXXXX"), "Z is no category");
        assertFalse(h.isValidCfi("Esvufr"), "lower case");
        assertFalse(h.isValidCfi("ES1UFR"), "digit");
        assertFalse(h.isValidCfi("ESVUF"), "5 characters");
        assertFalse(h.isValidCfi(bytes6(0)), "empty");
        assertFalse(h.isValidCfi("@SVUFR"), "just below A");
        assertFalse(h.isValidCfi("[SVUFR"), "just above Z");
    }

    function testFuzz_cfi_agreesWithReference(bytes6 cfi) public view {
        bool expected = true;
        for (uint256 i; i < 6; ++i) {
            if (uint8(cfi[i]) < 0x41 || uint8(cfi[i]) > 0x5A) expected = false;
        }
        bytes1 c0 = cfi[0];
        bool category = c0 == "E" || c0 == "C" || c0 == "D" || c0 == "R" || c0 == "O" || c0 == "F" || c0 == "S"
            || c0 == "H" || c0 == "I" || c0 == "J" || c0 == "K" || c0 == "L" || c0 == "T" || c0 == "M";
        assertEq(h.isValidCfi(cfi), expected && category, "cfi vs reference");
    }

    // ------------------------------------------------------------------ currency

    function test_currency_examples() public view {
        assertTrue(h.isValidCurrency("USD"), "USD");
        assertTrue(h.isValidCurrency("EUR"), "EUR");
        assertTrue(h.isValidCurrency("AAA"), "shape only");
        assertFalse(h.isValidCurrency("usd"), "lower case");
        assertFalse(h.isValidCurrency("1SD"), "digit first");
        assertFalse(h.isValidCurrency("U1D"), "digit second");
        assertFalse(h.isValidCurrency("US1"), "digit third");
        assertFalse(h.isValidCurrency("US"), "2 characters");
        assertFalse(h.isValidCurrency(bytes3(0)), "empty");
    }

    function testFuzz_currency_agreesWithReference(bytes3 currency) public view {
        bool expected = true;
        for (uint256 i; i < 3; ++i) {
            if (uint8(currency[i]) < 0x41 || uint8(currency[i]) > 0x5A) expected = false;
        }
        assertEq(h.isValidCurrency(currency), expected, "currency vs reference");
    }

    // ------------------------------------------------------------------ reference implementations

    function _isinBody(uint256 seed) internal pure returns (bytes11 body) {
        bytes memory b = new bytes(11);
        for (uint256 i; i < 11; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            b[i] = i < 2 ? ALNUM[10 + r % 26] : ALNUM[r % 36];
        }
        body = bytes11(b);
    }

    function _withIsinCheck(bytes11 body, uint8 digit) internal pure returns (bytes12) {
        return bytes12(bytes.concat(body, bytes1(0x30 + digit)));
    }

    /// @dev Letters become two digits (A = 10 ... Z = 35); the digit string gets a Luhn check digit.
    function _expand(bytes memory chars) internal pure returns (bytes memory digits) {
        for (uint256 i; i < chars.length; ++i) {
            uint8 c = uint8(chars[i]);
            if (c >= 0x30 && c <= 0x39) {
                digits = bytes.concat(digits, bytes1(c - 0x30));
            } else {
                uint8 v = c - 0x37;
                digits = bytes.concat(digits, bytes1(v / 10), bytes1(v % 10));
            }
        }
    }

    function _isinCheckDigit(bytes11 body) internal pure returns (uint8) {
        bytes memory digits = _expand(abi.encodePacked(body));
        uint256 sum;
        // With the check digit appended, the rightmost body digit sits in a doubled position.
        for (uint256 k; k < digits.length; ++k) {
            uint256 d = uint8(digits[digits.length - 1 - k]);
            if (k % 2 == 0) {
                d *= 2;
                if (d > 9) d = d / 10 + d % 10;
            }
            sum += d;
        }
        return uint8((10 - sum % 10) % 10);
    }

    function _referenceIsin(bytes12 isin) internal pure returns (bool) {
        for (uint256 i; i < 12; ++i) {
            uint8 c = uint8(isin[i]);
            bool digit = c >= 0x30 && c <= 0x39;
            bool letter = c >= 0x41 && c <= 0x5A;
            if (i < 2 && !letter) return false;
            if (i == 11 && !digit) return false;
            if (!digit && !letter) return false;
        }
        return _isinCheckDigit(bytes11(isin)) == uint8(isin[11]) - 0x30;
    }

    function _leiBody(uint256 seed) internal pure returns (bytes18 body) {
        bytes memory b = new bytes(18);
        for (uint256 i; i < 18; ++i) {
            b[i] = ALNUM[uint256(keccak256(abi.encode(seed, i))) % 36];
        }
        body = bytes18(b);
    }

    function _withLeiCheck(bytes18 body, uint8 check) internal pure returns (bytes20) {
        return bytes20(bytes.concat(body, bytes1(0x30 + check / 10), bytes1(0x30 + check % 10)));
    }

    /// @dev Digit-by-digit remainder of a decimal string.
    function _mod97(bytes memory digits) internal pure returns (uint256 r) {
        for (uint256 i; i < digits.length; ++i) {
            r = (r * 10 + uint8(digits[i])) % 97;
        }
    }

    /// @dev ISO 7064 MOD 97-10: check = 98 - (body * 100 mod 97).
    function _leiCheckDigits(bytes18 body) internal pure returns (uint8) {
        bytes memory digits = bytes.concat(_expand(abi.encodePacked(body)), bytes1(0), bytes1(0));
        return uint8(98 - _mod97(digits));
    }

    function _referenceLei(bytes20 lei) internal pure returns (bool) {
        for (uint256 i; i < 20; ++i) {
            uint8 c = uint8(lei[i]);
            bool digit = c >= 0x30 && c <= 0x39;
            bool letter = c >= 0x41 && c <= 0x5A;
            if (i >= 18 && !digit) return false;
            if (!digit && !letter) return false;
        }
        return _mod97(_expand(abi.encodePacked(lei))) == 1;
    }
}
